using Microsoft.Extensions.Options;
using ThrottleCluster.Grains.Abstractions.ResetTokens;

namespace ThrottleCluster.Api.Tokens;

/// <param name="Token">What goes into the email link; never logged, never stored.</param>
public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// Issues and consumes reset tokens through the reset-token grains. Any number of Api instances may
/// ask for the same token: the grain's one activation and storage's compare-and-set make a token
/// consumable exactly once.
/// </summary>
public sealed class ResetTokenService(IGrainFactory grains, TimeProvider time, IOptions<ResetTokenOptions> options)
{
    private readonly TimeSpan _lifetime = options.Value.Lifetime;

    /// <summary>A new token for the account; the account's previous token stops working.</summary>
    public async Task<IssuedToken> IssueAsync(string accountId, CancellationToken ct)
    {
        var (token, hash) = ResetTokenFormat.Create(accountId);
        var expiresAt = time.GetUtcNow() + _lifetime;
        var result = await grains.GetGrain<IResetTokenGrain>(ResetTokenFormat.GrainKey(accountId)).Issue(hash, expiresAt).WaitAsync(ct);
        if (result.Outcome != ResetTokenOutcome.Issued)
            throw new InvalidOperationException($"The reset-token grain refused a new token ({result.Outcome}).");
        return new IssuedToken(token, expiresAt);
    }

    /// <summary>The account id if the token was valid (it is now used), else null: malformed, unknown, replaced, used and expired look alike.</summary>
    public async Task<string?> ConsumeAsync(string? token, CancellationToken ct)
    {
        if (!ResetTokenFormat.TryParse(token, out var key, out var accountId, out var hash)) return null;
        var result = await grains.GetGrain<IResetTokenGrain>(key).Consume(hash);
        return result.Outcome == ResetTokenOutcome.Consumed ? accountId : null;
    }
}
