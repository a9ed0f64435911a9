using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ThrottleCluster.Runtime.Hosting;

/// <summary>
/// The silo's grain-call endpoint: <c>POST /grains/{kind}?key=...</c> with the command as JSON.
/// The key travels in the query string because normalized keys may contain '/' (IPv6 prefixes).
/// </summary>
public static class GrainEndpoints
{
    public const string CallIdHeader = "X-Call-Id";
    public const string AttemptHeader = "X-Call-Attempt";
    public const string ClusterKeyHeader = "X-Cluster-Key";
    internal const string MayHaveBeenAppliedExtension = "mayHaveBeenApplied";
    private const int MaxCommandBytes = 64 * 1024;

    public static IEndpointConventionBuilder MapGrains(this IEndpointRouteBuilder endpoints)
        => endpoints.MapPost("/grains/{kind}", HandleAsync);

    private static async Task<IResult> HandleAsync(HttpContext http, string kind, GrainRuntime runtime, IConfiguration configuration)
    {
        // Grain calls can do anything an operator can (listings, refunds): with Cluster:Key set, only
        // silos and clients holding it may make them.
        if (configuration[ClusterMembership.KeyKey] is { Length: > 0 } key && !SecretsMatch(http.Request.Headers[ClusterKeyHeader].ToString(), key))
            return Problem(StatusCodes.Status401Unauthorized, "Cluster key required", $"Send {ClusterMembership.KeyKey} in the {ClusterKeyHeader} header.");
        GrainId id;
        try
        {
            id = new GrainId(kind, http.Request.Query["key"].ToString());
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, "Invalid grain id", ex.Message);
        }
        if (!TryReadCallHeaders(http.Request, out var callId, out var attempt, out var headerError))
            return Problem(StatusCodes.Status400BadRequest, "Invalid call headers", headerError);
        if (http.Request.ContentLength > MaxCommandBytes)
            return Problem(StatusCodes.Status413PayloadTooLarge, "Command too large", $"A command may be at most {MaxCommandBytes} bytes.");

        var body = await ReadBodyAsync(http.Request, http.RequestAborted);
        if (body is null) return Problem(StatusCodes.Status413PayloadTooLarge, "Command too large", $"A command may be at most {MaxCommandBytes} bytes.");
        try
        {
            var result = await runtime.CallJsonAsync(id, body, callId, isRetry: attempt > 1);
            return Results.Bytes(result, "application/json");
        }
        catch (UnknownGrainKindException ex)
        {
            return Problem(StatusCodes.Status404NotFound, "Unknown grain kind", ex.Message);
        }
        catch (GrainConflictException ex)
        {
            return Problem(StatusCodes.Status409Conflict, "Write conflict", ex.Message, mayHaveBeenApplied: false);
        }
        catch (GrainCallException ex)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "Grain unavailable", ex.Message, ex.MayHaveBeenApplied);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentException or FormatException or NotSupportedException)
        {
            // The command did not parse or the grain refused it: the caller's mistake, never applied.
            return Problem(StatusCodes.Status400BadRequest, "Invalid command", ex.Message);
        }
    }

    /// <summary>Constant-time and length-independent, so timing reveals nothing of the secret.</summary>
    public static bool SecretsMatch(string given, string expected)
        => CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));

    private static bool TryReadCallHeaders(HttpRequest request, out string? callId, out int attempt, out string error)
    {
        callId = request.Headers[CallIdHeader].ToString();
        attempt = 1;
        error = "";
        if (callId.Length == 0)
        {
            callId = null;
        }
        else if (callId.Length > 128 || !callId.All(c => c is > ' ' and <= '~'))
        {
            error = $"{CallIdHeader} must be 1 to 128 printable ASCII characters.";
            return false;
        }
        var attemptText = request.Headers[AttemptHeader].ToString();
        if (attemptText.Length > 0 && (!int.TryParse(attemptText, out attempt) || attempt < 1))
        {
            error = $"{AttemptHeader} must be a positive integer (was '{attemptText}').";
            return false;
        }
        return true;
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxCommandBytes) return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    private static IResult Problem(int status, string title, string detail, bool? mayHaveBeenApplied = null)
        => Results.Problem(detail, statusCode: status, title: title,
            extensions: mayHaveBeenApplied is { } applied ? new Dictionary<string, object?> { [MayHaveBeenAppliedExtension] = applied } : null);
}
