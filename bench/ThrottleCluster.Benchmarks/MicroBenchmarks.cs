using BenchmarkDotNet.Attributes;
using ThrottleCluster.Grains;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Benchmarks;

/// <summary>
/// The pure grain functions with default policies, from a warm state (the state a busy grain of that
/// kind has), and their stored form. Allocations per call come from MemoryDiagnoser.
/// </summary>
[MemoryDiagnoser]
public class GrainLogicBenchmarks
{
    private static readonly ThrottlePolicy Policy = new();
    private static readonly DateTimeOffset T0 = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private static readonly AccountCommand AccountRequest = new AccountCommand.Request();
    private static readonly SourceCommand SourceReserve = new SourceCommand.Reserve(0x9E3779B97F4A7C15);
    private static readonly DomainCommand DomainReserve = new DomainCommand.Reserve(true);
    private static readonly GlobalCommand GlobalReserve = new GlobalCommand.Reserve(true);

    private AccountState _account = AccountLogic.Initial;
    private SourceState _ip = SourceLogic.Initial;
    private DomainState _domain = DomainLogic.Initial;
    private GlobalState _global = GlobalLogic.Initial;
    private byte[] _accountBytes = [], _ipBytes = [], _domainBytes = [], _globalBytes = [];
    private DateTimeOffset _now, _busyNow;

    [GlobalSetup]
    public void Setup()
    {
        // An account that got 2 emails in the last hours; an ip that asked for 5 accounts; a domain
        // and the global scope after 300 grants over the last minutes.
        var t = T0;
        for (var i = 0; i < 2; i++, t = t.AddMinutes(20)) _account = AccountLogic.Apply(Policy.Account, _account, AccountRequest, t).State;
        for (var i = 0; i < 5; i++, t = t.AddSeconds(30)) _ip = SourceLogic.Apply(Policy.Ip, _ip, new SourceCommand.Reserve((ulong)i * 7919), t).State;
        for (var i = 0; i < 300; i++, t = t.AddMilliseconds(500))
        {
            _domain = DomainLogic.Apply(Policy.Domain, _domain, DomainReserve, t).State;
            _global = GlobalLogic.Apply(Policy.Global, _global, GlobalReserve, t).State;
        }
        _busyNow = t; // same minute as the last grants: a busy domain or global grain
        _now = t.AddHours(2); // past the account cooldown, so the account path records a send; budgets decay 120 idle minutes
        _accountBytes = AccountLogic.Serialize(_account);
        _ipBytes = SourceLogic.Serialize(_ip);
        _domainBytes = DomainLogic.Serialize(_domain);
        _globalBytes = GlobalLogic.Serialize(_global);
    }

    [Benchmark] public AccountResult AccountApply() => AccountLogic.Apply(Policy.Account, _account, AccountRequest, _now).Result;
    [Benchmark] public SourceResult IpApply() => SourceLogic.Apply(Policy.Ip, _ip, SourceReserve, _now).Result;
    [Benchmark] public SourceResult NetworkApply() => SourceLogic.Apply(Policy.Network, _ip, SourceReserve, _now).Result;
    [Benchmark] public BudgetResult DomainApply() => DomainLogic.Apply(Policy.Domain, _domain, DomainReserve, _now).Result;
    [Benchmark] public BudgetResult GlobalApply() => GlobalLogic.Apply(Policy.Global, _global, GlobalReserve, _now).Result;
    [Benchmark] public BudgetResult DomainApplyBusy() => DomainLogic.Apply(Policy.Domain, _domain, DomainReserve, _busyNow).Result;
    [Benchmark] public BudgetResult GlobalApplyBusy() => GlobalLogic.Apply(Policy.Global, _global, GlobalReserve, _busyNow).Result;

    [Benchmark] public AccountState AccountRoundTrip() => AccountLogic.Deserialize(AccountLogic.Serialize(_account));
    [Benchmark] public SourceState SourceRoundTrip() => SourceLogic.Deserialize(SourceLogic.Serialize(_ip));
    [Benchmark] public DomainState DomainRoundTrip() => DomainLogic.Deserialize(DomainLogic.Serialize(_domain));
    [Benchmark] public GlobalState GlobalRoundTrip() => GlobalLogic.Deserialize(GlobalLogic.Serialize(_global));

    /// <summary>Stored sizes, printed once at setup by the harness (not a benchmark).</summary>
    public (int Account, int Ip, int Domain, int Global) StateSizes()
    {
        Setup();
        return (_accountBytes.Length, _ipBytes.Length, _domainBytes.Length, _globalBytes.Length);
    }
}

/// <summary>
/// The whole reset decision, <see cref="ResetGate.DecideAsync"/>, over grains applied in process
/// (<see cref="DirectGrainCalls"/>): the gate plus five grain turns, without runtime or store.
/// Each decision comes from a rotating pool of 65,536 IPs (in 256 networks),
/// 65,536 accounts and 16 domains, one second of grain time apart, so the path taken is the full
/// granted one (ip, network, domain, global, account); <see cref="DecideRejected"/> is a blocked source.
/// </summary>
[MemoryDiagnoser]
public class DecisionBenchmarks
{
    private const int Pool = 65_536;
    private static readonly DateTimeOffset T0 = new(2026, 1, 15, 12, 0, 0, TimeSpan.Zero);

    private ResetGate _gate = null!;
    private ResetAttempt[] _attempts = [];
    private ResetAttempt[] _blocked = [];
    private int _next;
    private long _seconds;

    [GlobalSetup]
    public void Setup()
    {
        _gate = new ResetGate(new DirectGrainCalls(new ThrottlePolicy()), 0x5EED);
        _attempts = Enumerable.Range(0, Pool).Select(i => new ResetAttempt(
            $"r{i}", $"10.{i & 255}.{i >> 8 & 255}.{i * 7 & 255}", $"user{(i * 40503) % Pool}@d{i % 16}.example", $"d{i % 16}.example")).ToArray();
        // One ip, many accounts: enumeration, blocked after the first few.
        _blocked = Enumerable.Range(0, Pool).Select(i => new ResetAttempt($"b{i}", "192.0.2.1", $"victim{i}@example.com", "example.com")).ToArray();
        for (var i = 0; i < 100; i++) _gate.DecideAsync(_blocked[i], T0).GetAwaiter().GetResult();
        // The stream the benchmark replays must take the path it claims to.
        for (var i = 0; i < 2_000; i++)
            if (DecideGranted() != Verdict.Send) throw new InvalidOperationException($"Decision {i} of the granted stream was not Send.");
        if (DecideRejected() != Verdict.RejectSource) throw new InvalidOperationException("The blocked source was not rejected.");
    }

    [Benchmark]
    public Verdict DecideGranted()
    {
        var i = _next++ & (Pool - 1);
        var now = T0.AddSeconds(++_seconds);
        // Synchronous grains: the task is complete, as with any IGrainCalls that answers at once.
        return _gate.DecideAsync(_attempts[i], now).GetAwaiter().GetResult().Verdict;
    }

    [Benchmark]
    public Verdict DecideRejected()
    {
        var i = _next++ & (Pool - 1);
        return _gate.DecideAsync(_blocked[i], T0.AddSeconds(1)).GetAwaiter().GetResult().Verdict;
    }
}
