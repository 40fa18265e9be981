using System.Net;
using System.Text;
using Keel.Testing;

namespace Keel.Server.Tests.Http;

/// <summary>
/// Every artifact path a client sends passes one gate (reference §2.5): `..` segments, absolute
/// paths, backslashes, NUL, `#` and percent-encoded (even twice) traversal are refused with
/// 400 INVALID_PARAMETER_VALUE, on the proxy routes and on the tracking-side listing. Requests go
/// over a raw socket where HttpClient would normalise the target (literal `/../`, `\`).
/// </summary>
public sealed class ArtifactPathSafetyTests(HttpServerFixture fixture) : IClassFixture<HttpServerFixture>
{
    private const string Proxy = "/api/2.0/mlflow-artifacts/artifacts";
    private const string SecretText = "TOP-SECRET-do-not-serve";

    /// <summary>Raw request-target suffixes (after `artifacts/`) that try to reach `../secret/secret.txt`.</summary>
    private static readonly string[] Targets =
    [
        "../secret/secret.txt",
        "a/../../secret/secret.txt",
        "a/b/../../../secret/secret.txt",
        "../../outside.txt",
        "%2e%2e/secret/secret.txt",
        "a/%2e%2e/%2e%2e/secret/secret.txt",
        "%2e%2e%2fsecret%2fsecret.txt",
        "%2E%2E%2Fsecret%2Fsecret.txt",
        "%252e%252e%252fsecret%252fsecret.txt",
        "%25252e%25252e%25252fsecret%25252fsecret.txt",
        "..%5csecret%5csecret.txt",
        "..\\secret\\secret.txt",
        "a\\..\\..\\secret\\secret.txt",
        "%2fetc%2fpasswd",
        "%2Ftmp%2Fsecret.txt",
        "C:%5cWindows%5cwin.ini",
        "C:/Windows/win.ini",
        "secret.txt%00.png",
        "a%23/../../secret/secret.txt",
        "a%23b.txt",
    ];

    /// <summary>Decoded `path` query values that try to leave the root.</summary>
    private static readonly string[] QueryValues =
    [
        "..",
        "../secret",
        "a/../../secret",
        "/etc",
        "/",
        "..\\secret",
        "a\\b",
        "a{NUL}b",
        "a#b",
        "%2e%2e%2fsecret",
        "%2E%2E/secret",
        "%252e%252e%252fsecret",
        "C:\\Windows",
        "C:/Windows",
    ];

    public static TheoryData<string> TraversalTargets() => Rows(Targets);

    public static TheoryData<string> TraversalQueryValues() => Rows(QueryValues);

    [Theory]
    [MemberData(nameof(TraversalTargets))]
    public async Task A_proxy_download_with_a_traversal_path_is_a_400_invalid_parameter_value(string target)
    {
        var answer = await RawHttp.SendAsync(fixture.Server.BaseUri, "GET", $"{Proxy}/{target}");
        AssertInvalidPath(answer, "GET", target);
    }

    [Theory]
    [MemberData(nameof(TraversalTargets))]
    public async Task A_proxy_upload_with_a_traversal_path_is_a_400_invalid_parameter_value(string target)
    {
        var answer = await RawHttp.SendAsync(fixture.Server.BaseUri, "PUT", $"{Proxy}/{target}", "pwned"u8.ToArray(), "text/plain");
        AssertInvalidPath(answer, "PUT", target);
    }

    [Theory]
    [MemberData(nameof(TraversalTargets))]
    public async Task A_proxy_delete_with_a_traversal_path_is_a_400_invalid_parameter_value(string target)
    {
        var answer = await RawHttp.SendAsync(fixture.Server.BaseUri, "DELETE", $"{Proxy}/{target}");
        AssertInvalidPath(answer, "DELETE", target);
    }

    [Theory]
    [MemberData(nameof(TraversalQueryValues))]
    public async Task A_proxy_listing_with_a_traversal_path_is_a_400_invalid_parameter_value(string path)
    {
        await fixture.Client.GetAsync($"{Proxy}?path={Uri.EscapeDataString(Decode(path))}")
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid path", "'path'");
    }

    [Theory]
    [MemberData(nameof(TraversalQueryValues))]
    public async Task A_run_artifact_listing_with_a_traversal_path_is_a_400_invalid_parameter_value(string path)
    {
        var runId = await fixture.Client.CreateRunAsync();
        await fixture.Client.GetAsync($"{Mlflow.Api}artifacts/list?run_id={runId}&path={Uri.EscapeDataString(Decode(path))}")
            .ErrorAsync(HttpStatusCode.BadRequest, "INVALID_PARAMETER_VALUE", "Invalid path", "'path'");
    }

    [Fact]
    public async Task A_secret_beside_the_artifact_root_cannot_be_read_listed_overwritten_or_deleted()
    {
        await using var server = await KeelServer.StartAsync();
        using var client = server.CreateClient();
        var runId = await client.CreateRunAsync();
        var root = Mlflow.ArtifactRoot(server);
        var dataDir = Path.GetDirectoryName(root)!;
        var secretDir = Path.Combine(dataDir, "secret");
        var secretFile = Path.Combine(secretDir, "secret.txt");
        Directory.CreateDirectory(secretDir);
        await File.WriteAllTextAsync(secretFile, SecretText);

        // A legitimate artifact, so the root exists and a traversal could start from inside it.
        await client.PutAsync($"{Proxy}/0/{runId}/artifacts/ok.txt", new StringContent("fine")).OkAsync();
        var outsideBefore = FilesOutside(dataDir, root);

        var answers = new List<(string Request, RawHttp.Answer Answer)>();
        foreach (var target in Targets)
        {
            foreach (var prefix in new[] { Proxy + "/", $"{Proxy}/0/{runId}/artifacts/" })
            {
                foreach (var method in new[] { "GET", "PUT", "DELETE" })
                {
                    var body = method == "PUT" ? Encoding.UTF8.GetBytes("pwned") : null;
                    answers.Add(($"{method} {prefix}{target}", await RawHttp.SendAsync(server.BaseUri, method, prefix + target, body, "text/plain")));
                }
            }
        }

        foreach (var value in QueryValues
            .Concat(["../secret", "../../secret", secretDir, "%2e%2e/secret"]))
        {
            var query = Uri.EscapeDataString(Decode(value));
            answers.Add(($"list {value}", await RawHttp.SendAsync(server.BaseUri, "GET", $"{Proxy}?path={query}")));
            answers.Add(($"run list {value}", await RawHttp.SendAsync(server.BaseUri, "GET", $"{Mlflow.Api}artifacts/list?run_id={runId}&path={query}")));
        }

        var nested = $"{Proxy}/0/{runId}/artifacts/";
        foreach (var (request, answer) in answers)
        {
            // Below a prefix, `%2f` and `C:/` are only odd names inside the root (MLflow accepts them
            // too); what matters there is that nothing outside the root is touched, checked below.
            Assert.True(answer.Status >= 400 || request.Contains(nested, StringComparison.Ordinal), $"{request} answered {answer.Status}: {answer.Text}");
            Assert.DoesNotContain(SecretText, answer.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("\"files\"", answer.Text, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(secretFile), "the secret was deleted");
        Assert.Equal(SecretText, await File.ReadAllTextAsync(secretFile));
        Assert.Equal(outsideBefore, FilesOutside(dataDir, root));
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(dataDir)!, "outside.txt")), "a file was written above the data folder");
        var runRoot = Path.Combine(root, "0", runId, "artifacts") + Path.DirectorySeparatorChar;
        Assert.DoesNotContain(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories), f => !f.StartsWith(runRoot, StringComparison.Ordinal));
    }

    /// <summary>Everything under the data folder but outside the artifact root, except the database's own files.</summary>
    private static List<string> FilesOutside(string dataDir, string root) =>
        Directory.EnumerateFileSystemEntries(dataDir, "*", SearchOption.AllDirectories)
            .Where(f => !f.StartsWith(root, StringComparison.Ordinal))
            .Where(f => !Path.GetFileName(f).StartsWith("keel.db", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>A literal NUL would garble test names, so the data spells it `{NUL}`.</summary>
    private static string Decode(string value) => value.Replace("{NUL}", "\0", StringComparison.Ordinal);

    private static TheoryData<string> Rows(string[] values)
    {
        var rows = new TheoryData<string>();
        foreach (var value in values)
        {
            rows.Add(value);
        }

        return rows;
    }

    private static void AssertInvalidPath(RawHttp.Answer answer, string method, string target)
    {
        Assert.True(answer.Status == 400, $"{method} {target}: expected 400, got {answer.Status}: {answer.Headers}\n{answer.Text}");
        if (target.Contains("%00", StringComparison.Ordinal))
        {
            // Kestrel itself refuses a NUL in the request path, with an empty 400, before any middleware runs.
            return;
        }

        Assert.Contains("Content-Type: application/json", answer.Headers, StringComparison.OrdinalIgnoreCase);
        Mlflow.AssertErrorBody(answer.Text, "INVALID_PARAMETER_VALUE", "Invalid path");
    }
}
