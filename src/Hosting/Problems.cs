using System.Text.Json;
using System.Text.Json.Serialization;

namespace ThrottleCluster.Hosting;

/// <summary>
/// The one way both hosts answer with a problem: problem+json bodies (RFC 9457), written byte for
/// byte the same way every time: no trace id or anything else that differs between requests, so
/// equal outcomes give equal bodies.
/// </summary>
public static class Problems
{
    public const string ContentType = "application/problem+json";

    public static readonly Problem InvalidRequest = new(400, "Invalid request", null);
    public static readonly Problem InvalidToken = new(400, "Invalid token", "The token is malformed, unknown, already used or expired.");
    public static readonly Problem TooManyRequests = new(429, "Too many requests", "Too many password-reset requests from this network. Try again later.");
    public static readonly Problem Unavailable = new(503, "Service unavailable", "The service cannot take this request right now. Try again later.");

    public static Problem Invalid(string detail) => InvalidRequest with { Detail = detail };

    public static Task WriteAsync(HttpContext context, Problem problem)
    {
        var response = context.Response;
        response.StatusCode = problem.Status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        // A client told to come back later is told when.
        if (problem.Status == StatusCodes.Status503ServiceUnavailable) response.Headers.RetryAfter = "5";
        return response.Body.WriteAsync(problem.Body).AsTask();
    }

    /// <summary>A problem answer; an endpoint may return it as its result.</summary>
    public sealed record Problem(int Status, string Title, string? Detail) : IResult
    {
        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        private byte[]? _body;

        public byte[] Body => _body ??= JsonSerializer.SerializeToUtf8Bytes(new ProblemBody("about:blank", Title, Status, Detail), Json);

        public Problem With(string detail) => this with { Detail = detail };

        public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext, this);

        private sealed record ProblemBody(string Type, string Title, int Status, string? Detail);
    }
}
