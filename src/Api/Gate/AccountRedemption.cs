using ThrottleCluster.Api.Accounts;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Api.Gate;

/// <summary>
/// Tells an account's throttle that the token of its last email was used. Until then a new request
/// sends nothing (the user already holds a working email); once the link is spent, they do not.
/// </summary>
/// <param name="grains">Reaches the account grains: the embedded silo's, or the cluster's through the Orleans client.</param>
public sealed class AccountRedemption(IGrainFactory grains, GrainKeys keys, IAccountDirectory directory, ILogger<AccountRedemption> logger)
{
    public async Task RedeemedAsync(string accountId, CancellationToken ct)
    {
        try
        {
            if (await directory.FindAsync(accountId, ct) is not { } account) return;
            // Keyed as the reset endpoint throttles a known account: by its directory email.
            await grains.GetGrain<IAccountGrain>(keys.Account(account.Email)).Redeemed();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // The password reset itself succeeded; only the early new email is lost, and the
            // token-outstanding rule lapses on its own when the token would have expired.
            logger.LogWarning("Could not mark the account's reset token as used: {Reason}", ex.Message);
        }
    }
}
