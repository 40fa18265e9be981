using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Keel.Serving.Predictors;

/// <summary>
/// ONNX Runtime's process-wide environment, created with ONNX Runtime's usage telemetry off.
/// Since 1.29 ONNX Runtime's Linux and macOS packages send telemetry to Microsoft by default
/// (its "1DS" provider): they write a device id and an offline event database under
/// <c>~/.cache/Microsoft/DeveloperTools/.onnxruntime</c> and start threads that resolve and
/// connect to Microsoft's collector. A self-hosted platform must not phone home nor write into its
/// user's home behind their back, and the uploads also cost memory and threads mid-run
/// (docs/benchmarks.md, batch scoring). ONNX Runtime reads <c>ORT_DISABLE_TELEMETRY</c> from
/// the native environment once, when its environment is created; .NET's
/// <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not reach the native
/// environment on Unix, so it is set with <c>setenv</c>. A value the user set (such as
/// <c>ORT_DISABLE_TELEMETRY=0</c>, to keep ONNX Runtime's default) is left as it is.
/// </summary>
public static partial class OnnxRuntimeEnvironment
{
    /// <summary>The variable ONNX Runtime reads; any value but "1" leaves its telemetry on.</summary>
    public const string TelemetryVariable = "ORT_DISABLE_TELEMETRY";

    private static readonly Lazy<OrtEnv> Environment = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);
    private static int _telemetryChecked;

    /// <summary>
    /// Turns ONNX Runtime's telemetry off for this process unless the user chose otherwise. Cheap and
    /// idempotent; a host calls it first thing in <c>Main</c>, while no other thread reads the
    /// native environment (setenv is not safe beside a concurrent getenv).
    /// </summary>
    public static void DisableTelemetry()
    {
        if (Interlocked.Exchange(ref _telemetryChecked, 1) == 1)
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            // Windows' ONNX Runtime uses ETW, turned off through the API below; the variable does no harm.
            if (System.Environment.GetEnvironmentVariable(TelemetryVariable) is null)
            {
                System.Environment.SetEnvironmentVariable(TelemetryVariable, "1");
            }

            return;
        }

        if (GetEnv(TelemetryVariable) == IntPtr.Zero && SetEnv(TelemetryVariable, "1", 0) != 0)
        {
            throw new InvalidOperationException($"setenv({TelemetryVariable}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>ONNX Runtime's environment, created on first use after <see cref="DisableTelemetry"/>.</summary>
    public static OrtEnv Instance => Environment.Value;

    private static OrtEnv Create()
    {
        DisableTelemetry();
        var environment = OrtEnv.Instance();
        if (GetTelemetryVariable() == "1")
        {
            // What the variable does not cover on every platform (Windows' ETW provider).
            environment.DisableTelemetryEvents();
        }

        return environment;
    }

    private static string? GetTelemetryVariable() =>
        OperatingSystem.IsWindows() ? System.Environment.GetEnvironmentVariable(TelemetryVariable) : Marshal.PtrToStringUTF8(GetEnv(TelemetryVariable));

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr GetEnv(string name);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
