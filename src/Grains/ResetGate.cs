using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains;

/// <summary>
/// The reset decision across the five scopes, all-or-nothing:
/// <list type="number">
/// <item>ip and network reserve in parallel; either refuses: release the other, <see cref="Verdict.RejectSource"/>.</item>
/// <item>domain and global reserve in parallel, told whether both sources have a clean record; either refuses: release the other, <see cref="Verdict.Suppress"/>.</item>
/// <item>the account decides last; it refuses: release domain and global, <see cref="Verdict.Suppress"/>.</item>
/// </list>
/// When the global budget alone refuses a clean source, the answer is <see cref="Verdict.Defer"/>:
/// the caller asks again later with the next <see cref="ResetAttempt.Look"/>, and step 1 then only
/// looks at the sources' standing (blocked, clean record) without counting the request again. The
/// global policy bounds how often; a flood's sources lose their clean record meanwhile, a user's do not.
/// The account grain is only reached once every other scope has granted, so a request refused
/// elsewhere leaves it untouched, even under concurrency, and it needs no undo. Sources are not
/// refunded after step 1: they pay for asking. Releases hand back the receipt the grain gave, so
/// grain state holds no undo records. The gate reads no clock (each grain reads its silo's) and learns
/// nothing about whether the account exists: an unknown login takes the same path and the same calls.
/// </summary>
/// <param name="grains">The cluster's grains: a silo's own factory, or an Orleans client's.</param>
/// <param name="keys">The grains' keys, the same on every host that decides.</param>
public sealed class ResetGate(IGrainFactory grains, GrainKeys keys) : IResetGate
{
    private readonly GrainReferences<IIpGrain> _ips = new(grains);
    private readonly GrainReferences<INetworkGrain> _networks = new(grains);
    private readonly GrainReferences<IDomainGrain> _domains = new(grains);
    private readonly GrainReferences<IGlobalGrain> _global = new(grains);
    private readonly GrainReferences<IAccountGrain> _accounts = new(grains);

    private static readonly ResetDecision Passed = new("", Verdict.Send, TimeSpan.Zero, Findings.None, Findings.None);

    public async Task<ResetDecision> DecideAsync(ResetAttempt attempt, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        ArgumentException.ThrowIfNullOrWhiteSpace(attempt.RequestId, nameof(attempt.RequestId));
        _ = ThrottleKeys.Ip(attempt.ClientIp); // every input is checked before any grain is called
        var account = ThrottleKeys.Account(attempt.Login);
        var domainKey = keys.Domain(attempt.RecipientDomain);

        var (source, ip, network) = attempt.Look > 0
            ? await PeekSourceAsync(attempt.RequestId, attempt.ClientIp)
            : await ReserveSourceAsync(attempt.RequestId, attempt.ClientIp, ThrottleKeys.AccountHash(account, keys.Secret));
        if (source.Verdict != Verdict.Send) return source;
        // A source let through by an operator listing despite its rules: report those as not enforced.
        var denied = Findings.None;
        var wouldDeny = new Findings(Ip: ip.WouldDeny | ip.Denied, Network: network.WouldDeny | network.Denied);

        var clean = ip.Clean && network.Clean;
        var domainGrain = _domains[domainKey];
        var globalGrain = _global[GrainKinds.GlobalKey];
        var domainTask = domainGrain.Reserve(clean, attempt.Look);
        var globalTask = globalGrain.Reserve(clean, attempt.Look);
        var (domain, global) = await Both(domainTask, globalTask);
        denied = denied with { Domain = domain.Denied, Global = global.Denied };
        wouldDeny = wouldDeny with { Domain = domain.WouldDeny, Global = global.WouldDeny };

        var granted = domain.Granted && global.Granted;
        if (granted)
        {
            var answer = await _accounts[keys.Of(account)].Request();
            denied = denied with { Account = answer.Denied };
            wouldDeny = wouldDeny with { Account = answer.WouldDeny };
            granted = answer.Granted;
        }
        if (!granted)
            await Task.WhenAll(Refund(domain.Receipt, domainGrain.Release), Refund(global.Receipt, globalGrain.Release));
        var again = LookAgainAfter(domain, global);
        var verdict = granted ? Verdict.Send : again > TimeSpan.Zero ? Verdict.Defer : Verdict.Suppress;
        return new ResetDecision(attempt.RequestId, verdict, again, denied, wouldDeny);
    }

    /// <summary>
    /// Source limits alone, for a gateway that sees requests but not their logins (nginx
    /// <c>auth_request</c>): token buckets and blocks of the ip and its network. Every check counts
    /// as the same account, so it adds nothing to distinct-account counts.
    /// </summary>
    public async Task<ResetDecision> CheckSourceAsync(string requestId, string clientIp, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var (decision, _, _) = await ReserveSourceAsync(requestId, clientIp, accountHash: 0);
        return decision;
    }

    /// <summary>Step 1: ip and network reserve in parallel; a refusal releases the other and rejects the source.</summary>
    private async Task<(ResetDecision Decision, SourceResult Ip, SourceResult Network)> ReserveSourceAsync(string requestId, string clientIp, ulong accountHash)
    {
        var ipGrain = _ips[keys.Ip(clientIp)];
        var networkGrain = _networks[keys.Network(clientIp)];
        var (ip, network) = await Both(ipGrain.Reserve(accountHash), networkGrain.Reserve(accountHash));
        if (SourcePasses(ip, network)) return (Passed with { RequestId = requestId }, ip, network);
        await Task.WhenAll(Refund(ip.Receipt, ipGrain.Release), Refund(network.Receipt, networkGrain.Release));
        var rejection = new ResetDecision(requestId, Verdict.RejectSource, Max(ip.RetryAfter, network.RetryAfter),
            new Findings(Ip: ip.Denied, Network: network.Denied),
            new Findings(Ip: ip.WouldDeny, Network: network.WouldDeny));
        return (rejection, ip, network);
    }

    /// <summary>Step 1 of a later look: the sources' standing now, counting nothing; a source blocked since is suppressed.</summary>
    private async Task<(ResetDecision Decision, SourceResult Ip, SourceResult Network)> PeekSourceAsync(string requestId, string clientIp)
    {
        var (ip, network) = await Both(
            _ips[keys.Ip(clientIp)].Peek(),
            _networks[keys.Network(clientIp)].Peek());
        var verdict = SourcePasses(ip, network) ? Verdict.Send : Verdict.Suppress;
        var decision = new ResetDecision(requestId, verdict, TimeSpan.Zero, new Findings(Ip: ip.Denied, Network: network.Denied), Findings.None);
        return (decision, ip, network);
    }

    // An operator listing on the ip overrides its network's; an allowed network overrides an unlisted ip's rules.
    private static bool SourcePasses(SourceResult ip, SourceResult network) =>
        ip.Listing == ListMode.Allow ||
        network.Granted && (ip.Granted || ip.Listing == ListMode.None && network.Listing == ListMode.Allow);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    // Deferred only when every budget that refused would look again (not when the account refused).
    private static TimeSpan LookAgainAfter(BudgetResult domain, BudgetResult global) =>
        (domain.Granted, global.Granted) switch
        {
            (true, true) => TimeSpan.Zero,
            (false, true) => domain.AskAgainAfter,
            (true, false) => global.AskAgainAfter,
            _ => domain.AskAgainAfter > TimeSpan.Zero && global.AskAgainAfter > TimeSpan.Zero ? Max(domain.AskAgainAfter, global.AskAgainAfter) : TimeSpan.Zero,
        };

    // Both calls are always awaited, so a failure of one never leaves the other's spending unseen.
    private static async Task<(T1, T2)> Both<T1, T2>(Task<T1> first, Task<T2> second)
    {
        await Task.WhenAll(first, second);
        return (first.Result, second.Result);
    }

    // Not cancellable: a refund must not be lost because the caller stopped waiting.
    private static Task Refund(Receipt? receipt, Func<Receipt, Task> release) => receipt is null ? Task.CompletedTask : release(receipt);
}
