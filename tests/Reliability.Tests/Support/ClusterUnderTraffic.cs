using System.Diagnostics;
using StackExchange.Redis;
using ThrottleCluster.Grains.Abstractions;
using ThrottleCluster.Tests.Support;
using Xunit.Abstractions;
using static ThrottleCluster.Reliability.Tests.Support.ResetTraffic;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// What every fault of the cluster under load starts from: a store (Garnet of its own, or the test's
/// Azure Storage) with the membership, the grain state and the outbox, silo processes and the Api
/// (an Orleans client) with the <see cref="CappedAccounts"/> policy, aiosmtpd, and flood-shaped
/// reset traffic (<see cref="Shape"/>) that a test starts, breaks the cluster under, marks each
/// fault of (<see cref="BeginFault"/>) and then judges (<see cref="StopAndJudgeAsync"/>) by what
/// reached the SMTP server.
/// </summary>
public sealed class ClusterUnderTraffic : IAsyncDisposable
{
    /// <summary>24 victims asked far past their caps; 1 request in 10 is a legitimate user's one request for an account of its own.</summary>
    public static readonly FloodShape Shape = new(FloodAccounts: 24, LegitimateAccounts: 1500, LegitimateEvery: 10);

    private readonly List<FaultWindow> _faults = [];
    private CancellationTokenSource _stop = new();
    private GarnetServer? _garnet;
    private SmtpSink? _smtp;
    private ConnectionMultiplexer? _engine;
    private Task? _load;

    private ClusterUnderTraffic()
    {
    }

    public ProductCluster Cluster { get; private set; } = null!;

    public ManagementClient Management { get; private set; } = null!;

    public ClusterMembership Membership { get; private set; } = null!;

    public ResetTraffic Traffic { get; private set; } = null!;

    /// <summary>How long the cluster took to come up, before any traffic.</summary>
    public TimeSpan StartedIn { get; private set; }

    /// <summary>
    /// Starts Garnet, aiosmtpd, <paramref name="silos"/> silos and the Api; on failure, whatever
    /// started is stopped. The hosts reach Garnet at the address <paramref name="reach"/> gives for it
    /// (the test's proxy in front of it, say), directly by default; <see cref="Membership"/> always
    /// reads Garnet itself.
    /// </summary>
    public static Task<ClusterUnderTraffic> StartAsync(int silos, Func<GarnetServer, string>? reach = null) => StartAsync(async rig =>
    {
        rig._garnet = await GarnetServer.StartAsync();
        var cluster = await ProductCluster.StartAsync((reach ?? (g => g.ConnectionString))(rig._garnet), silos, CappedAccounts.Policy, rig._smtp, Shape.Accounts);
        rig._engine = await ConnectionMultiplexer.ConnectAsync(rig._garnet.ConnectionString);
        rig.Membership = new ClusterMembership(rig._engine);
        return cluster;
    });

    /// <summary>
    /// Starts aiosmtpd, <paramref name="silos"/> silos and the Api over <paramref name="store"/>, the
    /// test's (which breaks it and stops it); <see cref="Membership"/> is not read (it is in a table).
    /// </summary>
    public static Task<ClusterUnderTraffic> StartOnAzureStorageAsync(string store, int silos)
        => StartAsync(rig => ProductCluster.StartOnAzureStorageAsync(store, silos, CappedAccounts.Policy, rig._smtp, Shape.Accounts));

    private static async Task<ClusterUnderTraffic> StartAsync(Func<ClusterUnderTraffic, Task<ProductCluster>> startCluster)
    {
        var starting = Stopwatch.StartNew();
        var rig = new ClusterUnderTraffic();
        try
        {
            rig._smtp = await SmtpSink.StartAsync();
            rig.Cluster = await startCluster(rig);
            rig.Management = await ManagementClient.ConnectAsync(rig.Cluster);
            rig.Traffic = new ResetTraffic(rig.Cluster.ApiAddress, CappedAccounts.ClientTimeout);
            rig.StartedIn = starting.Elapsed;
            return rig;
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the traffic (4 workers, 40 ms between a worker's requests) and waits until 20 resets were accepted.</summary>
    public async Task StartTrafficAsync()
    {
        ResumeTraffic();
        await AcceptedSinceAsync(0, "the start", 20);
    }

    /// <summary>Stops the traffic, letting the requests in flight finish; <see cref="ResumeTraffic"/> goes on where it stopped.</summary>
    public async Task PauseTrafficAsync()
    {
        await _stop.CancelAsync();
        await (_load ?? Task.CompletedTask);
        _stop.Dispose();
        _stop = new CancellationTokenSource();
        _load = null;
    }

    public void ResumeTraffic() => _load = Traffic.RunAsync(Shape, workers: 4, pause: TimeSpan.FromMilliseconds(40), _stop.Token);

    /// <summary>Waits until the Api's outbox has sent every email it queued.</summary>
    public Task OutboxDrainedAsync() => Eventually.HoldsAsync(async () =>
    {
        using var api = new SiloClient(Cluster.ApiAddress, CappedAccounts.ClientTimeout);
        var page = new PrometheusText(await api.MetricsAsync());
        return page.Value("tc_outbox_sent_total") >= page.Value("tc_outbox_enqueued_total");
    }, "the outbox has sent every queued email");

    /// <summary>Waits until <paramref name="count"/> requests sent after <paramref name="moment"/> (a <see cref="Stopwatch"/> timestamp) were accepted.</summary>
    public Task AcceptedSinceAsync(long moment, string what, int count = 10)
        => Eventually.HoldsAsync(() => Traffic.Outcomes.Count(o => o.Sent > moment && o.Result == Result.Accepted) >= count, $"{count} resets accepted after {what}");

    /// <summary>The silo holding the global grain, which every decision calls, as the grain directory says.</summary>
    public async Task<ServiceProcess> SiloOfGlobalGrainAsync()
    {
        var port = await Management.SiloPortHostingAsync(Management.Client.GetGrain<IGlobalGrain>(GrainKinds.GlobalKey));
        return Cluster.Silos.Single(s => ProductHosts.SiloPortOf(s) == port);
    }

    /// <summary>How many incarnations the membership lists for <paramref name="silo"/> when its newest is active; 0 otherwise.</summary>
    public async Task<int> ActiveIncarnationsAsync(ServiceProcess silo)
        => await Membership.OfAsync(ProductHosts.SiloPortOf(silo)) is [.., { Status: ClusterMembership.Active }] incarnations ? incarnations.Count : 0;

    /// <summary>Marks a fault (or a change) starting now; <see cref="FaultWindow.End"/> marks a change done, a fault left open ends when decisions succeed again.</summary>
    public FaultWindow BeginFault(string name)
    {
        var fault = new FaultWindow(name, Stopwatch.GetTimestamp());
        _faults.Add(fault);
        return fault;
    }

    /// <summary>
    /// Stops the traffic, waits until every queued email reached the SMTP server, prints the
    /// figures (overall and per fault) and asserts what must hold under any of these faults: every
    /// request answered (none timed out, none unreachable, nothing but 202, 429 or 503), every
    /// request in flight at a fault decided or answered 503, the accounting exact
    /// (<see cref="EmailAccounting.AssertExact"/>), the global budget kept, and no legitimate user
    /// mailed without a 202 or more than once.
    /// </summary>
    public async Task<Judgement> StopAndJudgeAsync(ITestOutputHelper output, string what)
    {
        await PauseTrafficAsync();
        var accounting = await EmailAccounting.WhenSettledAsync(_smtp!, Shape.Accounts, Cluster);
        var judgement = new Judgement(Traffic.Outcomes, accounting, _faults.Select(f => f.Figures(Traffic.Outcomes)).ToList());

        output.WriteLine($"{what}: up in {StartedIn.TotalSeconds:0.0} s; traffic {judgement.Window.TotalSeconds:0.0} s, {judgement.Counts}");
        foreach (var fault in judgement.Faults) output.WriteLine($"  {fault}");
        output.WriteLine($"  accounting: {accounting}; {accounting.AtCap(CappedAccounts.PerHour)} accounts at their cap of {CappedAccounts.PerHour}; " +
                         $"global budget {CappedAccounts.GlobalBudgetOver(judgement.Window)} over the traffic's {judgement.Window.TotalSeconds:0.0} s " +
                         $"({CappedAccounts.GlobalPerMinute}/min, burst {CappedAccounts.GlobalBurst})");
        output.WriteLine($"  legitimate users: {judgement.Legitimate.Count} asked, {judgement.Legitimate.Count(o => o.Result == Result.Accepted)} x 202, " +
                         $"{judgement.Legitimate.Count(o => o.Result == Result.Unavailable)} x 503, {judgement.LegitimateMailed} mailed");

        Assert.Equal(0, judgement.Counts.TimedOut + judgement.Counts.Other + judgement.Counts.Unreachable);
        Assert.All(judgement.Faults.SelectMany(f => f.InFlight), o => Assert.Contains(o.Result, new[] { Result.Accepted, Result.Throttled, Result.Unavailable }));
        accounting.AssertExact(CappedAccounts.PerHour, judgement.Counts.Unavailable);
        accounting.AssertWithinGlobalBudget(judgement.Window);
        var received = accounting.Accounts.ToDictionary(a => a.Email, a => a.Received, StringComparer.OrdinalIgnoreCase);
        Assert.All(judgement.Legitimate, o => Assert.True(received[o.Login] <= (o.Result == Result.Accepted ? 1 : 0),
            $"{o.Login} asked once, answered {o.Result}, got {received[o.Login]} emails"));
        Assert.True(judgement.Legitimate.Count > 0, "No legitimate user asked: the traffic had no users among the flood.");
        return judgement;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_load is not null) await _load;
        _stop.Dispose();
        if (_engine is not null) await _engine.CloseAsync();
        if (Management is not null) await Management.DisposeAsync();
        if (Cluster is not null) await Cluster.DisposeAsync();
        if (_smtp is not null) await _smtp.DisposeAsync();
        if (_garnet is not null) await _garnet.DisposeAsync();
    }

    public sealed record Judgement(IReadOnlyList<Outcome> Outcomes, EmailAccounting Accounting, IReadOnlyList<FaultFigures> Faults)
    {
        public Counts Counts { get; } = Counts.Of(Outcomes);

        /// <summary>From the first request sent to the last one answered.</summary>
        public TimeSpan Window { get; } = Stopwatch.GetElapsedTime(Outcomes.Min(o => o.Sent), Outcomes.Max(o => o.Answered));

        public IReadOnlyList<Outcome> Legitimate { get; } = Outcomes.Where(o => o.Legitimate).ToList();

        public int LegitimateMailed => Legitimate.Count(o => Accounting.Accounts.Any(a => a.Received > 0 && string.Equals(a.Email, o.Login, StringComparison.OrdinalIgnoreCase)));
    }
}

/// <summary>A fault (or a change) under traffic: when it began and, for a change, when it was done.</summary>
public sealed class FaultWindow(string name, long began)
{
    private long? _ended;

    public string Name => name;

    public long Began => began;

    public void End() => _ended = Stopwatch.GetTimestamp();

    /// <summary>
    /// What the traffic saw of it: the requests in flight when it began, how long until a request
    /// sent after it was accepted (seconds to recover), and the requests that overlapped it (until it
    /// ended or, left open, until that recovery) with their 503s.
    /// </summary>
    public FaultFigures Figures(IReadOnlyList<Outcome> outcomes)
    {
        var firstAccepted = outcomes.Where(o => o.Sent > began && o.Result == Result.Accepted).Select(o => (long?)o.Answered).Min();
        var end = _ended ?? firstAccepted ?? outcomes.Max(o => o.Answered);
        var during = outcomes.Where(o => o.Sent <= end && o.Answered >= began).ToList();
        return new FaultFigures(name, outcomes.Where(o => o.InFlightAt(began)).ToList(), during,
            firstAccepted is { } accepted ? Stopwatch.GetElapsedTime(began, accepted) : null, Stopwatch.GetElapsedTime(began, end));
    }
}

/// <param name="RecoveredAfter">From the fault to the answer of the first request sent after it and accepted; null if none was.</param>
public sealed record FaultFigures(string Name, IReadOnlyList<Outcome> InFlight, IReadOnlyList<Outcome> During, TimeSpan? RecoveredAfter, TimeSpan Lasted)
{
    public int Unavailable => During.Count(o => o.Result == Result.Unavailable);

    public TimeSpan SlowestInFlight => InFlight.Count == 0 ? TimeSpan.Zero : InFlight.Max(o => o.Took);

    public override string ToString()
        => $"{Name}: {Lasted.TotalSeconds:0.0} s, {During.Count} requests, {Unavailable} x 503, slowest {(During.Count == 0 ? 0 : During.Max(o => o.Took.TotalSeconds)):0.00} s; " +
           $"in flight at its start {InFlight.Count} ({string.Join(", ", InFlight.GroupBy(o => o.Result).Select(g => $"{g.Count()} x {g.Key}"))}), slowest {SlowestInFlight.TotalSeconds:0.00} s; " +
           $"first 202 for a request sent after it {(RecoveredAfter is { } r ? $"{r.TotalSeconds:0.00} s" : "never")} after it began";
}
