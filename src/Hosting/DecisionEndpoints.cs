using System.Text.Json.Serialization;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Hosting;

/// <summary>Body of <c>POST /v1/decisions</c>.</summary>
/// <param name="RecipientDomain">Where the email would go; defaults to the login's domain, or a fixed placeholder for account ids.</param>
/// <param name="RequestId">Optional caller id for the request, echoed back; one is made up when absent.</param>
/// <param name="Look">For an attempt answered <c>Defer</c> before: how often (send the same request id again).</param>
/// <param name="ClientIp">The address the reset request came from.</param>
/// <param name="Login">The account id or email address a reset is asked for.</param>
public sealed record DecisionRequest(string? ClientIp, string? Login, string? RecipientDomain = null, string? RequestId = null, int Look = 0);

public sealed record DecisionResponse(
    string RequestId,
    [property: JsonConverter(typeof(JsonStringEnumConverter<Verdict>))] Verdict Verdict,
    int RetryAfterSeconds,
    Findings Denied,
    Findings WouldDeny);

public static class DecisionEndpoints
{
    /// <summary>Recipient domain used when the login is an account id, not an email.</summary>
    public const string UnknownDomain = "unknown.invalid";

    /// <summary>The most looks any policy may allow (<see cref="LookAgainPolicy.Times"/>).</summary>
    public const int MaxLook = 100;

    public static IEndpointRouteBuilder MapDecisions(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/decisions", async (DecisionRequest request, IResetGate gate, HttpContext http, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(request.ClientIp) || string.IsNullOrWhiteSpace(request.Login))
                return Problems.Invalid("clientIp and login are required.");
            if (request.Look is < 0 or > MaxLook) return Problems.Invalid($"look must be between 0 and {MaxLook} (was {request.Look}).");
            var attempt = new ResetAttempt(
                request.RequestId is { Length: > 0 and <= 64 } id ? id : Guid.NewGuid().ToString("N"),
                request.ClientIp,
                request.Login,
                request.RecipientDomain ?? DomainOf(request.Login),
                request.Look);
            try
            {
                var decision = await gate.DecideAsync(attempt, ct);
                return Results.Ok(new DecisionResponse(decision.RequestId, decision.Verdict,
                    (int)Math.Ceiling(decision.RetryAfter.TotalSeconds), decision.Denied, decision.WouldDeny));
            }
            catch (ArgumentException ex)
            {
                return Problems.Invalid(ex.Message);
            }
            catch (Exception ex) when (GrainFailures.Undecided(ex, ct))
            {
                // Fail closed: without a persisted decision the caller must not send.
                return GrainFailures.Unavailable(http, ex, "No decision could be made");
            }
        }).WithGroupName(ApiDocuments.Decisions).Produces<DecisionResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    public static string DomainOf(string login)
    {
        var at = login.LastIndexOf('@');
        return at >= 0 && at < login.Length - 1 ? login[(at + 1)..] : UnknownDomain;
    }
}
