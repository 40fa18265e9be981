namespace Keel.Core.Errors;

/// <summary>MLflow's error vocabulary (reference §1.4); names travel on the wire as-is.</summary>
public enum ErrorCode
{
    INTERNAL_ERROR,
    TEMPORARILY_UNAVAILABLE,
    BAD_REQUEST,
    INVALID_PARAMETER_VALUE,
    ENDPOINT_NOT_FOUND,
    RESOURCE_ALREADY_EXISTS,
    RESOURCE_DOES_NOT_EXIST,
    PERMISSION_DENIED,
    UNAUTHENTICATED,
    INVALID_STATE,
    REQUEST_LIMIT_EXCEEDED,
    NOT_IMPLEMENTED,
    RESOURCE_CONFLICT,
}

public static class ErrorCodes
{
    /// <summary>HTTP status MLflow's server answers for each code (reference §1.4, with its quirks).</summary>
    public static int HttpStatus(this ErrorCode code) => code switch
    {
        ErrorCode.INVALID_PARAMETER_VALUE or ErrorCode.BAD_REQUEST or ErrorCode.RESOURCE_ALREADY_EXISTS => 400,
        ErrorCode.RESOURCE_DOES_NOT_EXIST or ErrorCode.ENDPOINT_NOT_FOUND => 404,
        ErrorCode.PERMISSION_DENIED => 403,
        ErrorCode.UNAUTHENTICATED => 401,
        ErrorCode.RESOURCE_CONFLICT => 409,
        ErrorCode.REQUEST_LIMIT_EXCEEDED => 429,
        ErrorCode.NOT_IMPLEMENTED => 501,
        ErrorCode.TEMPORARILY_UNAVAILABLE => 503,
        _ => 500,
    };
}
