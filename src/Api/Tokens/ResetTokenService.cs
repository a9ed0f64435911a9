using Microsoft.Extensions.Options;
using ThrottleCluster.Grains.Abstractions.ResetTokens;
using ThrottleCluster.Grains.ResetTokens;
using ThrottleCluster.Runtime;

namespace ThrottleCluster.Api.Tokens;

/// <summary>
/// The reset-token grain as the runtime hosts it. Embedded, the in-process silo serves it; in
/// cluster mode the Api runs it in a grain runtime of its own over the engine. Any number of Api
/// instances may serve the same token: storage's compare-and-set, not placement, makes a token
/// consumable exactly once.
/// </summary>
public static class ResetTokenGrainType
{
    public static GrainType<ResetTokenState, ResetTokenCommand, ResetTokenResult> Type { get; } = new(
        ResetTokenGrainKind.Kind,
        ResetTokenLogic.Initial,
        ResetTokenLogic.Apply,
        ResetTokenLogic.TimeToLive,
        ResetTokenLogic.Serialize,
        ResetTokenLogic.Deserialize);
}

/// <param name="Token">What goes into the email link; never logged, never stored.</param>
public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>Issues and consumes reset tokens through the reset-token grains.</summary>
public sealed class ResetTokenService(IGrainClient grains, TimeProvider time, IOptions<ResetTokenOptions> options)
{
    private readonly TimeSpan _lifetime = options.Value.Lifetime;

    /// <summary>A new token for the account; the account's previous token stops working.</summary>
    public async Task<IssuedToken> IssueAsync(string accountId, CancellationToken ct)
    {
        var (token, hash) = ResetTokenFormat.Create(accountId);
        var expiresAt = time.GetUtcNow() + _lifetime;
        var result = await grains.CallAsync<ResetTokenCommand, ResetTokenResult>(
            new GrainId(ResetTokenGrainKind.Kind, ResetTokenFormat.GrainKey(accountId)),
            new ResetTokenCommand.Issue(hash, expiresAt), ct);
        if (result.Outcome != ResetTokenOutcome.Issued)
            throw new InvalidOperationException($"The reset-token grain refused a new token ({result.Outcome}).");
        return new IssuedToken(token, expiresAt);
    }

    /// <summary>The account id if the token was valid (it is now used), else null: malformed, unknown, replaced, used and expired look alike.</summary>
    public async Task<string?> ConsumeAsync(string? token, CancellationToken ct)
    {
        if (!ResetTokenFormat.TryParse(token, out var key, out var accountId, out var hash)) return null;
        var result = await grains.CallAsync<ResetTokenCommand, ResetTokenResult>(
            new GrainId(ResetTokenGrainKind.Kind, key), new ResetTokenCommand.Consume(hash), ct);
        return result.Outcome == ResetTokenOutcome.Consumed ? accountId : null;
    }
}
