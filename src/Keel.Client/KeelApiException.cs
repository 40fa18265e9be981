using System.Net;

namespace Keel.Client;

/// <summary>
/// The server answered with a non-success status. <see cref="ErrorCode"/> is MLflow's
/// <c>error_code</c> (see <see cref="KeelErrorCodes"/>); when the answer had no JSON error body
/// the code is derived from the HTTP status (404 becomes <c>ENDPOINT_NOT_FOUND</c>).
/// </summary>
public sealed class KeelApiException : Exception
{
    /// <summary>Creates the exception for an error answer.</summary>
    /// <param name="errorCode">MLflow's error code, e.g. <c>RESOURCE_DOES_NOT_EXIST</c>.</param>
    /// <param name="message">The server's message.</param>
    /// <param name="httpStatus">The HTTP status of the answer.</param>
    public KeelApiException(string errorCode, string message, HttpStatusCode httpStatus)
        : base(message)
    {
        ErrorCode = errorCode;
        HttpStatus = httpStatus;
    }

    /// <summary>MLflow's error code, e.g. <c>INVALID_PARAMETER_VALUE</c>.</summary>
    public string ErrorCode { get; }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode HttpStatus { get; }
}

/// <summary>The error codes clients most often act on (MLflow's <c>ErrorCode</c> names).</summary>
public static class KeelErrorCodes
{
    /// <summary>A request field failed validation (HTTP 400).</summary>
    public const string InvalidParameterValue = "INVALID_PARAMETER_VALUE";

    /// <summary>The request was malformed (HTTP 400).</summary>
    public const string BadRequest = "BAD_REQUEST";

    /// <summary>The entity already exists, e.g. a duplicate experiment name (HTTP 400).</summary>
    public const string ResourceAlreadyExists = "RESOURCE_ALREADY_EXISTS";

    /// <summary>The experiment, run, tag or file does not exist (HTTP 404).</summary>
    public const string ResourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST";

    /// <summary>The route does not exist on this server (HTTP 404).</summary>
    public const string EndpointNotFound = "ENDPOINT_NOT_FOUND";

    /// <summary>The caller may not do this (HTTP 403).</summary>
    public const string PermissionDenied = "PERMISSION_DENIED";

    /// <summary>The caller is not authenticated (HTTP 401).</summary>
    public const string Unauthenticated = "UNAUTHENTICATED";

    /// <summary>The operation conflicts with the entity's state, e.g. renaming a deleted experiment (HTTP 500).</summary>
    public const string InvalidState = "INVALID_STATE";

    /// <summary>The server failed unexpectedly (HTTP 500).</summary>
    public const string InternalError = "INTERNAL_ERROR";

    /// <summary>The server does not implement this (HTTP 501).</summary>
    public const string NotImplemented = "NOT_IMPLEMENTED";
}
