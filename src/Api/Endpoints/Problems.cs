using System.Text.Json;

namespace ThrottleCluster.Api.Endpoints;

/// <summary>
/// problem+json bodies (RFC 9457), written byte for byte the same way every time: no trace id or
/// anything else that differs between requests, so equal outcomes give equal bodies.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static readonly Problem InvalidRequest = new(400, "Invalid request", null);
    public static readonly Problem InvalidToken = new(400, "Invalid token", "The token is malformed, unknown, already used or expired.");
    public static readonly Problem TooManyRequests = new(429, "Too many requests", "Too many password-reset requests from this network. Try again later.");
    public static readonly Problem Unavailable = new(503, "Service unavailable", "The service cannot take this request right now. Try again later.");
    public static readonly Problem Internal = new(500, "Internal error", "The request could not be handled.");

    public static Problem Invalid(string detail) => InvalidRequest with { Detail = detail };

    public static Task WriteAsync(HttpContext context, Problem problem)
    {
        var response = context.Response;
        response.StatusCode = problem.Status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        return response.Body.WriteAsync(problem.Body).AsTask();
    }

    public sealed record Problem(int Status, string Title, string? Detail)
    {
        private byte[]? _body;

        public byte[] Body => _body ??= JsonSerializer.SerializeToUtf8Bytes(new ProblemBody("about:blank", Title, Status, Detail), ProblemJson);

        private static readonly JsonSerializerOptions ProblemJson = new(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        };

        private sealed record ProblemBody(string Type, string Title, int Status, string? Detail);
    }
}
