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
        var call = new Calls(grains, attempt.RequestId, now, attempt.Look);

        var (source, ip, network) = attempt.Look > 0
            ? await PeekSourceAsync(call, attempt.ClientIp, ct)
            : await ReserveSourceAsync(call, attempt.ClientIp, ThrottleKeys.AccountHash(accountKey, accountHashSecret), ct);
        if (source.Verdict != Verdict.Send) return source;
        // A source let through by an operator listing despite its rules: report those as not enforced.
        var denied = Findings.None;
        var wouldDeny = new Findings(Ip: ip.WouldDeny | ip.Denied, Network: network.WouldDeny | network.Denied);

        var clean = ip.Clean && network.Clean;
        var domainTask = call.Run<DomainCommand, BudgetResult>(GrainKinds.Domain, domainKey, new DomainCommand.Reserve(clean, attempt.Look), ct);
        var globalTask = call.Run<GlobalCommand, BudgetResult>(GrainKinds.Global, GrainKinds.GlobalKey, new GlobalCommand.Reserve(clean, attempt.Look), ct);
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
        var again = LookAgainAfter(domain, global);
        var verdict = granted ? Verdict.Send : again > TimeSpan.Zero ? Verdict.Defer : Verdict.Suppress;
        return new ResetDecision(attempt.RequestId, verdict, again, denied, wouldDeny);
    }

    /// <summary>
    /// Source limits alone, for a gateway that sees requests but not their logins (nginx
    /// <c>auth_request</c>): token buckets and blocks of the ip and its network. Every check counts
    /// as the same account, so it adds nothing to distinct-account counts.
    /// </summary>
    public async Task<ResetDecision> CheckSourceAsync(string requestId, string clientIp, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(requestId);
        var (decision, _, _) = await ReserveSourceAsync(new Calls(grains, requestId, now, look: 0), clientIp, accountHash: 0, ct);
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

    /// <summary>Step 1 of a later look: the sources' standing now, counting nothing; a source blocked since is suppressed.</summary>
    private static async Task<(ResetDecision Decision, SourceResult Ip, SourceResult Network)> PeekSourceAsync(Calls call, string clientIp, CancellationToken ct)
    {
        var peek = new SourceCommand.Peek();
        var ipTask = call.Run<SourceCommand, SourceResult>(GrainKinds.Ip, ThrottleKeys.Ip(clientIp), peek, ct);
        var networkTask = call.Run<SourceCommand, SourceResult>(GrainKinds.Network, ThrottleKeys.Network(clientIp), peek, ct);
        await Task.WhenAll(ipTask, networkTask);
        var (ip, network) = (ipTask.Result, networkTask.Result);
        var verdict = SourcePasses(ip, network) ? Verdict.Send : Verdict.Suppress;
        var decision = new ResetDecision(call.RequestId, verdict, TimeSpan.Zero, new Findings(Ip: ip.Denied, Network: network.Denied), Findings.None);
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

    /// <summary>Grain calls of one request, with call ids derived from its request id.</summary>
    /// <remarks>Each look has its own call ids: the grains may still hold answers to the previous one.</remarks>
    private sealed class Calls(IGrainCalls grains, string requestId, DateTimeOffset now, int look)
    {
        private readonly string _callPrefix = look == 0 ? requestId : $"{requestId}/look{look}";

        public string RequestId => requestId;

        public Task<TResult> Run<TCommand, TResult>(string kind, string key, TCommand command, CancellationToken ct) =>
            grains.CallAsync<TCommand, TResult>(kind, key, $"{_callPrefix}/{kind}/reserve", command, now, ct);

        // Not cancellable: a refund must not be lost because the caller stopped waiting.
        public Task Release<TCommand, TResult>(string kind, string key, Receipt? receipt, Func<Receipt, TCommand> release) =>
            receipt is null
                ? Task.CompletedTask
                : grains.CallAsync<TCommand, TResult>(kind, key, $"{_callPrefix}/{kind}/release", release(receipt), now, CancellationToken.None);
    }
}
