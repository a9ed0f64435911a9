using System.CommandLine;

namespace ThrottleCluster.Cli.Attack;

/// <summary><c>throttlectl attack</c>: the flood simulator's options, bound onto <see cref="AttackOptions"/>.</summary>
public static class AttackCommand
{
    public static Command Create(CliIo io)
    {
        var command = new Command("attack", "Flood an Api with password-reset requests, legitimate users interleaved; JSON summary on stdout, progress on stderr (BENCHMARKS.md)");
        var defaults = new AttackOptions();
        var bindings = new List<Action<ParseResult, AttackOptions>>();

        Add("--api", "The Api's base URL", defaults.Api, (o, v) => o.Api = v);
        Add("--attach", "Drive an Api that is already running at --api instead of starting one", defaults.Attach, (o, v) => o.Attach = v);
        Add("--work-dir", "Where the accounts file, pickup directories and Api logs go", defaults.WorkDir, (o, v) => o.WorkDir = v);
        Add("--mail-dir", "The Api's pickup directory (required with --attach; default a fresh one under --work-dir)", defaults.MailDir, (o, v) => o.MailDir = v);
        Add("--api-dll", "The built Api started when not attached", defaults.ApiDll, (o, v) => o.ApiDll = v);
        var scenario = Add("--scenario",
            "Over HTTP: rotate (many sources), single (one address), slow (sources with a clean record). On a simulated clock, through the grains in process: " +
            "near-budget (legitimate demand near the budget, a rotating flood), under-limits (thousands of sources, each a handful of accounts), " +
            "rotate64 (a fresh /64 per request, one /48), cold (under-limits on a freshly started service)",
            defaults.Scenario, (o, v) => o.Scenario = v);
        Choices.Restrict(scenario, ["rotate", "single", "slow", .. TimedScenario.Names]);
        Add("--accounts", "Attack accounts (never ask for a reset)", defaults.Accounts, (o, v) => o.Accounts = v);
        Add("--requests", "Attack requests (rounded up to whole blocks of --legit-every)", defaults.Requests, (o, v) => o.Requests = v);
        Add("--sources", "Attack source addresses (rotate)", defaults.Sources, (o, v) => o.Sources = v);
        Add("--sources-per-prefix", "Attack sources per /24 or /48 (rotate)", defaults.SourcesPerPrefix, (o, v) => o.SourcesPerPrefix = v);
        Add("--domains", "Recipient domains the accounts are spread over", defaults.Domains, (o, v) => o.Domains = v);
        Add("--legit-every", "One legitimate user's request after this many attack requests (0: none)", defaults.LegitEvery, (o, v) => o.LegitEvery = v);
        Add("--legit-twice", "Share of legitimate users who ask a second time", defaults.LegitTwice, (o, v) => o.LegitTwice = v);
        Add("--concurrency", "Requests in flight", defaults.Concurrency, (o, v) => o.Concurrency = v);
        Add("--rate", "Requests per second over all workers (0: as fast as possible)", defaults.Rate, (o, v) => o.Rate = v);
        Add("--max-seconds", "Stop sending after this long", defaults.MaxSeconds, (o, v) => o.MaxSeconds = v);
        Add("--drain-seconds", "Wait at most this long for the outbox to drain", defaults.DrainSeconds, (o, v) => o.DrainSeconds = v);
        Add("--drain-quiet-seconds", "The outbox has drained once no mail arrived for this long", defaults.DrainQuietSeconds, (o, v) => o.DrainQuietSeconds = v);
        Add("--global-budget", "The Api's Throttle:Global:PerMinute, to judge the mail count (timed scenarios: the policy's)", defaults.GlobalBudgetPerMinute, (o, v) => o.GlobalBudgetPerMinute = v);
        Add("--global-burst", "The Api's Throttle:Global:Burst (default: a twentieth of --global-budget)", defaults.GlobalBurst, (o, v) => o.GlobalBurst = v);
        Add("--minutes", "Timed scenarios: simulated minutes of flood", defaults.Minutes, (o, v) => o.Minutes = v);
        Add("--warm-minutes", "Timed scenarios except cold: simulated minutes of legitimate demand alone before the flood", defaults.WarmMinutes, (o, v) => o.WarmMinutes = v);
        Add("--legit-share", "Timed scenarios: legitimate users per minute as a share of --global-budget", defaults.LegitShare, (o, v) => o.LegitShare = v);
        Add("--flood-rate", "Timed scenarios: flood requests per simulated second", defaults.FloodRate, (o, v) => o.FloodRate = v);
        Add("--accounts-per-source", "under-limits, cold: distinct accounts each flood source asks for", defaults.AccountsPerSource, (o, v) => o.AccountsPerSource = v);
        Add("--source-gap", "under-limits, cold: simulated seconds between one flood source's requests", defaults.SourceGap, (o, v) => o.SourceGap = v);
        Add("--later-looks-capacity", "Timed scenarios: deferred requests held for their next look, as the Api's LaterLooks.Capacity", defaults.LaterLooksCapacity, (o, v) => o.LaterLooksCapacity = v);
        var set = Add("--set", "Timed scenarios: a policy setting over the shipped policy, path=value as policy set takes it (repeat it)", defaults.PolicySettings, (o, v) => o.PolicySettings = v);
        set.AllowMultipleArgumentsPerToken = false;
        Add("--out", "Also write the JSON summary to this file", defaults.Out, (o, v) => o.Out = v);
        Add("--write-accounts-only", "Write the accounts file, print its path and exit", defaults.WriteAccountsOnly, (o, v) => o.WriteAccountsOnly = v);

        command.SetAction((parsed, ct) =>
        {
            var options = new AttackOptions();
            foreach (var bind in bindings) bind(parsed, options);
            return TimedScenario.IsTimed(options.Scenario) ? ModelReplay.RunAsync(options, io, ct) : AttackSimulator.RunAsync(options, io, ct);
        });
        return command;

        Option<T> Add<T>(string name, string description, T value, Action<AttackOptions, T> set)
        {
            var option = new Option<T>(name) { Description = description, DefaultValueFactory = _ => value };
            command.Options.Add(option);
            bindings.Add((parsed, options) => set(options, parsed.GetValue(option)!));
            return option;
        }
    }
}
