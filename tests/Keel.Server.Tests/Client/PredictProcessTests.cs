using System.Text;
using Keel.Cli.Commands;

namespace Keel.Server.Tests.Client;

/// <summary>The environment `keel predict` re-executes itself with (PredictProcess); the exec itself is covered by PredictCliTests.</summary>
public sealed class PredictProcessTests
{
    private static byte[] Block(params string[] entries) => Encoding.UTF8.GetBytes(string.Concat(entries.Select(e => e + "\0")));

    private static string[] Read(byte[] block) => [.. PredictProcess.Entries(block).Select(e => Encoding.UTF8.GetString(e))];

    [Fact]
    public void The_environment_gains_tiering_off_and_keeps_every_entry_byte_for_byte()
    {
        var environment = Block("HOME=/home/ana", "LANG=C.UTF-8", "NOTE=caf\u00e9=1");

        var replaced = PredictProcess.ExecEnvironment(environment);

        Assert.NotNull(replaced);
        Assert.Equal(["HOME=/home/ana", "LANG=C.UTF-8", "NOTE=caf\u00e9=1", "DOTNET_TieredCompilation=0", "MALLOC_ARENA_MAX=1"], Read(replaced));
        Assert.Equal(0, replaced[^1]);
    }

    [Fact]
    public void A_malloc_arena_setting_of_the_users_own_is_kept()
    {
        Assert.Equal(["MALLOC_ARENA_MAX=4", "DOTNET_TieredCompilation=0"], Read(PredictProcess.ExecEnvironment(Block("MALLOC_ARENA_MAX=4"))!));
    }

    [Theory]
    [InlineData("DOTNET_TieredCompilation=1")]
    [InlineData("DOTNET_TieredCompilation=0")]
    [InlineData("COMPlus_TieredCompilation=1")]
    public void A_tiering_setting_of_the_users_own_is_kept_and_there_is_no_exec(string setting)
    {
        Assert.Null(PredictProcess.ExecEnvironment(Block("HOME=/home/ana", setting)));
    }

    [Fact]
    public void Similar_names_are_not_the_setting_and_an_empty_environment_gets_only_the_settings()
    {
        Assert.NotNull(PredictProcess.ExecEnvironment(Block("DOTNET_TieredCompilationX=1", "MY_DOTNET_TieredCompilation=1")));
        Assert.Equal(["DOTNET_TieredCompilation=0", "MALLOC_ARENA_MAX=1"], Read(PredictProcess.ExecEnvironment([])!));
    }

    [Fact]
    public void Empty_arguments_survive_the_command_line_block()
    {
        Assert.Equal(["keel", "predict", "", "-o", "x.csv"], Read(Block("keel", "predict", "", "-o", "x.csv")));
    }
}
