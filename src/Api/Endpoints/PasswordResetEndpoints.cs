using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Api.Outbox;
using ThrottleCluster.Api.Tokens;
using ThrottleCluster.Hosting;

namespace ThrottleCluster.Api.Endpoints;

/// <summary>
/// <c>POST /v1/password-resets</c> and <c>POST /v1/password-resets/verify</c>. The request body is
/// read and parsed here, not by model binding, so that every malformed input ends as the same
/// kind of 400 problem+json and nothing about it can turn into a 500.
/// </summary>
/// <summary>Body of <c>POST /v1/password-resets</c>.</summary>
/// <param name="Login">An account id or an email address.</param>
public sealed record ResetRequestBody(string Login);

/// <summary>Body of <c>POST /v1/password-resets/verify</c>.</summary>
/// <param name="Token">The token from the reset email's link.</param>
public sealed record VerifyRequestBody(string Token);

/// <summary>The one answer to every accepted reset request.</summary>
public sealed record ResetAcceptedResponse(string Status, string Message);

/// <summary>A token redeemed: the account it was for.</summary>
public sealed record VerifiedResponse(string AccountId);

public static class PasswordResetEndpoints
{
    public const string ResetPath = "/v1/password-resets";
    public const string VerifyPath = "/v1/password-resets/verify";
    public const int MaxLoginLength = 320;

    /// <summary>The one answer to every accepted reset request, whatever happened behind it.</summary>
    public static readonly byte[] AcceptedBody = JsonSerializer.SerializeToUtf8Bytes(
        new ResetAcceptedResponse("accepted", "If an account matches, an email is on its way."), JsonSerializerOptions.Web);

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 8, AllowDuplicateProperties = false };

    public static IEndpointRouteBuilder MapPasswordResets(this IEndpointRouteBuilder endpoints)
    {
        // Delegates over the context (the body is read here, see above), described for the resets document.
        endpoints.MapPost(ResetPath, (Func<HttpContext, Task>)RequestResetAsync).WithGroupName(ApiDocuments.Resets)
            .WithJsonBody<ResetRequestBody>().Produces<ResetAcceptedResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status429TooManyRequests).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        endpoints.MapPost(VerifyPath, (Func<HttpContext, Task>)VerifyAsync).WithGroupName(ApiDocuments.Resets)
            .WithJsonBody<VerifyRequestBody>().Produces<VerifiedResponse>()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return endpoints;
    }

    private static async Task RequestResetAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var (login, problem) = await ReadStringPropertyAsync(context, "login");
        if (problem is not null)
        {
            await Problems.WriteAsync(context, problem);
            return;
        }
        if (CheckLogin(login!) is { } loginProblem)
        {
            await Problems.WriteAsync(context, Problems.Invalid(loginProblem));
            return;
        }
        var trimmed = login!.Trim();
        var ct = context.RequestAborted;
        var clientIp = services.GetRequiredService<ClientAddressResolver>().Resolve(context);

        // The same steps for every login: resolve, ask the gate, then enqueue (cheap) or not.
        // The email itself, and the token, are made later by the dispatcher.
        var account = await services.GetRequiredService<IAccountDirectory>().FindAsync(trimmed, ct);
        var domain = account is not null ? AccountRules.Domain(account.Email) : trimmed.Contains('@') ? AccountRules.Domain(trimmed) : null;
        // One account, one throttle: asking by account id and by email must not give two quotas.
        var request = new ResetRequest(clientIp, account?.Email ?? trimmed, domain, account is not null);
        GateDecision decision;
        try
        {
            decision = await services.GetRequiredService<IResetGate>().DecideAsync(request, ct);
        }
        catch (ArgumentException)
        {
            // The gate's key rules are stricter than ours for some logins (e.g. braces); it refuses
            // them whether or not the account exists, so saying so reveals nothing.
            await Problems.WriteAsync(context, Problems.Invalid("\"login\" is not a usable account id or email address."));
            return;
        }

        if (decision.Verdict == GateVerdict.RejectSource)
        {
            var seconds = Math.Max(1, (long)Math.Ceiling((decision.RetryAfter ?? TimeSpan.FromSeconds(60)).TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await Problems.WriteAsync(context, Problems.TooManyRequests);
            return;
        }
        // The answer leaves before the enqueue: neither its timing nor an outbox outage (which
        // would fail only requests for existing accounts) can tell whether the account exists.
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = AcceptedBody.Length;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.Body.WriteAsync(AcceptedBody, ct);
        await context.Response.CompleteAsync();
        if (account is null) return;
        if (decision.Verdict == GateVerdict.Send) await services.GetRequiredService<ResetEmails>().QueueAsync(account);
        else if (decision.Verdict == GateVerdict.Defer)
            services.GetRequiredService<LaterLooks>().Schedule(request, account, decision.RetryAfter ?? TimeSpan.Zero);
    }

    private static async Task VerifyAsync(HttpContext context)
    {
        var (token, problem) = await ReadStringPropertyAsync(context, "token");
        if (problem is not null)
        {
            await Problems.WriteAsync(context, problem);
            return;
        }
        var accountId = await context.RequestServices.GetRequiredService<ResetTokenService>().ConsumeAsync(token, context.RequestAborted);
        if (accountId is null)
        {
            await Problems.WriteAsync(context, Problems.InvalidToken);
            return;
        }
        await context.RequestServices.GetRequiredService<AccountRedemption>().RedeemedAsync(accountId, context.RequestAborted);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(new VerifiedResponse(accountId), JsonSerializerOptions.Web), context.RequestAborted);
    }

    /// <summary>Why a login is malformed, or null. Independent of whether any account exists.</summary>
    public static string? CheckLogin(string login)
    {
        if (login.Length > MaxLoginLength) return $"\"login\" is longer than {MaxLoginLength} characters.";
        var trimmed = login.Trim();
        if (trimmed.Length == 0) return "\"login\" is empty.";
        if (!TextRules.IsPrintable(trimmed)) return "\"login\" contains control or format characters.";
        if (trimmed.Any(char.IsWhiteSpace)) return "\"login\" contains white space.";
        if (trimmed.Contains('@') && !AccountRules.IsPlainAddress(trimmed)) return "\"login\" is neither an account id nor a plain email address.";
        return null;
    }

    /// <summary>
    /// Reads a small JSON object body and returns its one string property. Checks, in order: media
    /// type, JSON syntax, shape. The body's size was checked before the endpoint ran
    /// (<see cref="RequestBodyLimit"/>, 413), and it is already in memory.
    /// </summary>
    private static async Task<(string? Value, Problems.Problem? Problem)> ReadStringPropertyAsync(HttpContext context, string name)
    {
        var request = context.Request;
        if (!IsJson(request.ContentType)) return (null, Problems.Invalid("The body must be application/json."));
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted);
        return Parse(body.GetBuffer().AsSpan(0, (int)body.Length), name);
    }

    private static (string? Value, Problems.Problem? Problem) Parse(ReadOnlySpan<byte> body, string name)
    {
        var expected = $"The body must be a JSON object with a string \"{name}\".";
        if (body.IsEmpty) return (null, Problems.Invalid(expected));
        try
        {
            using var document = JsonDocument.Parse(body.ToArray(), DocumentOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, Problems.Invalid(expected));
            string? value = null;
            foreach (var property in root.EnumerateObject())
            {
                if (!property.NameEquals(name)) continue;
                if (value is not null || property.Value.ValueKind != JsonValueKind.String) return (null, Problems.Invalid(expected));
                value = property.Value.GetString();
            }
            return value is null ? (null, Problems.Invalid(expected)) : (value, null);
        }
        catch (JsonException)
        {
            return (null, Problems.Invalid("The body is not valid JSON."));
        }
        catch (InvalidOperationException)
        {
            // A string with an escaped lone surrogate ("\ud800") cannot become a .NET string.
            return (null, Problems.Invalid("The body holds a string that is not valid Unicode."));
        }
        catch (ArgumentException)
        {
            return (null, Problems.Invalid("The body holds a string that is not valid Unicode."));
        }
    }

    private static bool IsJson(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media) || media.MediaType is null) return false;
        var type = media.MediaType;
        var json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                   || type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        if (!json) return false;
        var charset = media.CharSet?.Trim('"');
        return charset is null || charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }
}
