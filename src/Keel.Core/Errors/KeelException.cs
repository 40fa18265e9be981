namespace Keel.Core.Errors;

/// <summary>The one exception engines throw; the server maps it to MLflow's error body.</summary>
public sealed class KeelException : Exception
{
    public KeelException(ErrorCode code, string message)
        : base(message) => Code = code;

    public KeelException(ErrorCode code, string message, Exception inner)
        : base(message, inner) => Code = code;

    public ErrorCode Code { get; }

    public static KeelException Invalid(string message) => new(ErrorCode.INVALID_PARAMETER_VALUE, message);

    public static KeelException NotFound(string message) => new(ErrorCode.RESOURCE_DOES_NOT_EXIST, message);

    public static KeelException Missing(string field) =>
        Invalid($"Missing value for required parameter '{field}'. See the API docs for more information about request parameters.");
}
