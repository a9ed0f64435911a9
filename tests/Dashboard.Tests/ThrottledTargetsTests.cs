using Microsoft.Extensions.Time.Testing;
using System.Net;
using ThrottleCluster.Api.Dashboard;
using ThrottleCluster.Api.Gate;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Dashboard.Tests;

public sealed class ThrottledTargetsTests
{
    [Fact]
    public void Sources_are_kept_as_their_network_and_domains_only_when_a_domain_rule_denied()
    {
        var targets = new ThrottledTargets(new FakeTimeProvider());
        targets.Record(Request("203.0.113.77", "victim.example"), GateDecision.RejectSource(TimeSpan.FromMinutes(1)));
        targets.Record(Request("2001:db8:1:2:3:4:5:6", "victim.example"), new GateDecision(GateVerdict.Suppress, Denied: new Findings(Ip: Rule.Burst)));
        targets.Record(Request("198.51.100.5", "victim.example"), new GateDecision(GateVerdict.Suppress, Denied: new Findings(Domain: Rule.Budget)));
        targets.Record(Request("192.0.2.1", "quiet.example"), new GateDecision(GateVerdict.Suppress, Denied: new Findings(Account: Rule.Cooldown)));
        targets.Record(Request("192.0.2.2", "quiet.example"), new GateDecision(GateVerdict.Send, Denied: Findings.None));

        Assert.Equal(["2001:db8:1::/48", "203.0.113.0/24"], targets.Networks.Top(10).Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["victim.example"], targets.Domains.Top(10).Select(e => e.Key));
    }

    [Fact]
    public void A_domain_the_keys_refuse_is_left_out_without_failing_the_request()
    {
        var targets = new ThrottledTargets(new FakeTimeProvider());
        targets.Record(Request("203.0.113.77", "bad domain{}.example"), new GateDecision(GateVerdict.Suppress, Denied: new Findings(Domain: Rule.Budget)));

        Assert.Empty(targets.Domains.Top(10));
    }

    private static ResetRequest Request(string ip, string domain) => new(IPAddress.Parse(ip), "someone@" + domain, domain, AccountExists: false);
}
