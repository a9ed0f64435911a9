using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <summary>
/// The reset decision across the five scopes, all-or-nothing:
/// <list type="number">
/// <item>ip and network reserve in parallel; either refuses: release the other, <see cref="Verdict.RejectSource"/>.</item>
/// <item>domain and global reserve in parallel, told whether both sources have a clean record; either refuses: release the other, <see cref="Verdict.Suppress"/>.</item>
/// <item>the account decides last; it refuses: release domain and global, <see cref="Verdict.Suppress"/>.</item>
/// </list>
/// The account grain is only reached once every other scope has granted, so a request refused
/// elsewhere leaves it untouched, even under concurrency, and it needs no undo. Sources are not
/// refunded after step 1: they pay for asking. Releases hand back the receipt the grain gave, so
/// grain state holds no undo records. The gate reads no clock and learns nothing about whether the
/// account exists: an unknown login takes the same path and the same calls.
/// </summary>
/// <param name="accountHashSecret">Configuration secret for <see cref="ThrottleKeys.AccountHash"/>, the same on every silo.</param>
public sealed class ResetGate(IGrainCalls grains, ulong accountHashSecret) : IResetGate
{
    public async Task<ResetDecision> DecideAsync(ResetAttempt attempt, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentException.ThrowIfNullOrWhiteSpace(attempt.RequestId, nameof(attempt.RequestId));
        _ = ThrottleKeys.Ip(attempt.ClientIp); // every input is checked before any grain is called
        var accountKey = ThrottleKeys.Account(attempt.Login);
        var domainKey = ThrottleKeys.Domain(attempt.RecipientDomain);
        var call = new Calls(grains, attempt.RequestId, now);

        var (source, ip, network) = await ReserveSourceAsync(call, attempt.ClientIp, ThrottleKeys.AccountHash(accountKey, accountHashSecret), ct);
        if (source.Verdict == Verdict.RejectSource) return source;
        // A source let through by an operator listing despite its rules: report those as not enforced.
        var denied = Findings.None;
        var wouldDeny = new Findings(Ip: ip.WouldDeny | ip.Denied, Network: network.WouldDeny | network.Denied);

        var clean = ip.Clean && network.Clean;
        var domainTask = call.Run<DomainCommand, BudgetResult>(GrainKinds.Domain, domainKey, new DomainCommand.Reserve(clean), ct);
        var globalTask = call.Run<GlobalCommand, BudgetResult>(GrainKinds.Global, GrainKinds.GlobalKey, new GlobalCommand.Reserve(clean), ct);
        await Task.WhenAll(domainTask, globalTask);
        var (domain, global) = (domainTask.Result, globalTask.Result);
        denied = denied with { Domain = domain.Denied, Global = global.Denied };
        wouldDeny = wouldDeny with { Domain = domain.WouldDeny, Global = global.WouldDeny };

        var granted = domain.Granted && global.Granted;
        if (granted)
        {
            var account = await call.Run<AccountCommand, AccountResult>(GrainKinds.Account, accountKey, new AccountCommand.Request(), ct);
            denied = denied with { Account = account.Denied };
            wouldDeny = wouldDeny with { Account = account.WouldDeny };
            granted = account.Granted;
        }
        if (!granted)
        {
            await Task.WhenAll(
                call.Release<DomainCommand, BudgetResult>(GrainKinds.Domain, domainKey, domain.Receipt, r => new DomainCommand.Release(r)),
                call.Release<GlobalCommand, BudgetResult>(GrainKinds.Global, GrainKinds.GlobalKey, global.Receipt, r => new GlobalCommand.Release(r)));
        }
        return new ResetDecision(attempt.RequestId, granted ? Verdict.Send : Verdict.Suppress, TimeSpan.Zero, denied, wouldDeny);
    }

    /// <summary>
    /// Source limits alone, for a gateway that sees requests but not their logins (nginx
    /// <c>auth_request</c>): token buckets and blocks of the ip and its network. Every check counts
    /// as the same account, so it adds nothing to distinct-account counts.
    /// </summary>
    public async Task<ResetDecision> CheckSourceAsync(string requestId, string clientIp, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var (decision, _, _) = await ReserveSourceAsync(new Calls(grains, requestId, now), clientIp, accountHash: 0, ct);
        return decision;
    }

    /// <summary>Step 1: ip and network reserve in parallel; a refusal releases the other and rejects the source.</summary>
    private static async Task<(ResetDecision Decision, SourceResult Ip, SourceResult Network)> ReserveSourceAsync(Calls call, string clientIp, ulong accountHash, CancellationToken ct)
    {
        var ipKey = ThrottleKeys.Ip(clientIp);
        var networkKey = ThrottleKeys.Network(clientIp);
        var reserve = new SourceCommand.Reserve(accountHash);
        var ipTask = call.Run<SourceCommand, SourceResult>(GrainKinds.Ip, ipKey, reserve, ct);
        var networkTask = call.Run<SourceCommand, SourceResult>(GrainKinds.Network, networkKey, reserve, ct);
        await Task.WhenAll(ipTask, networkTask);
        var (ip, network) = (ipTask.Result, networkTask.Result);
        if (SourcePasses(ip, network)) return (new ResetDecision(call.RequestId, Verdict.Send, TimeSpan.Zero, Findings.None, Findings.None), ip, network);
        await Task.WhenAll(
            call.Release<SourceCommand, SourceResult>(GrainKinds.Ip, ipKey, ip.Receipt, r => new SourceCommand.Release(r)),
            call.Release<SourceCommand, SourceResult>(GrainKinds.Network, networkKey, network.Receipt, r => new SourceCommand.Release(r)));
        var rejection = new ResetDecision(call.RequestId, Verdict.RejectSource, Max(ip.RetryAfter, network.RetryAfter),
            new Findings(Ip: ip.Denied, Network: network.Denied),
            new Findings(Ip: ip.WouldDeny, Network: network.WouldDeny));
        return (rejection, ip, network);
    }

    // An operator listing on the ip overrides its network's; an allowed network overrides an unlisted ip's rules.
    private static bool SourcePasses(SourceResult ip, SourceResult network) =>
        ip.Listing == ListMode.Allow ||
        network.Granted && (ip.Granted || ip.Listing == ListMode.None && network.Listing == ListMode.Allow);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Grain calls of one request, with call ids derived from its request id.</summary>
    private sealed class Calls(IGrainCalls grains, string requestId, DateTimeOffset now)
    {
        public string RequestId => requestId;

        public Task<TResult> Run<TCommand, TResult>(string kind, string key, TCommand command, CancellationToken ct) =>
            grains.CallAsync<TCommand, TResult>(kind, key, $"{requestId}/{kind}/reserve", command, now, ct);

        // Not cancellable: a refund must not be lost because the caller stopped waiting.
        public Task Release<TCommand, TResult>(string kind, string key, Receipt? receipt, Func<Receipt, TCommand> release) =>
            receipt is null
                ? Task.CompletedTask
                : grains.CallAsync<TCommand, TResult>(kind, key, $"{requestId}/{kind}/release", release(receipt), now, CancellationToken.None);
    }
}
