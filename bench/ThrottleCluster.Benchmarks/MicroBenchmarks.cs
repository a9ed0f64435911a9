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
            _domain = DomainLogic.Apply(Policy, _domain, DomainReserve, t).State;
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
    [Benchmark] public BudgetResult DomainApply() => DomainLogic.Apply(Policy, _domain, DomainReserve, _now).Result;
    [Benchmark] public BudgetResult GlobalApply() => GlobalLogic.Apply(Policy.Global, _global, GlobalReserve, _now).Result;
    [Benchmark] public BudgetResult DomainApplyBusy() => DomainLogic.Apply(Policy, _domain, DomainReserve, _busyNow).Result;
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
