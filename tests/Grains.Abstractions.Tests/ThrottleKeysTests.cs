using FsCheck;
using FsCheck.Fluent;
using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Abstractions.Tests;

public class ThrottleKeysTests
{
    [Theory]
    [InlineData("  Alice@Example.COM ", "alice@example.com")]
    [InlineData("alice@example.com.", "alice@example.com")]
    [InlineData("Jürgen@Bücher.example", "jürgen@xn--bcher-kva.example")]
    [InlineData("user@ＥＸＡＭＰＬＥ.com", "user@example.com")]
    [InlineData("a@b@münchen.de", "a@b@xn--mnchen-3ya.de")]
    [InlineData("  JohnDoe42 ", "johndoe42")]
    public void Accounts_are_trimmed_lower_cased_with_punycode_domains(string login, string key) =>
        Assert.Equal(key, ThrottleKeys.Account(login));

    [Theory]
    [InlineData("", "has no account name")]
    [InlineData("   ", "has no account name")]
    [InlineData("@example.com", "has no account name")]
    [InlineData("john doe", "forbidden character (U+0020)")]
    [InlineData("john{x}@example.com", "forbidden character (U+007B)")]
    [InlineData("john\u0001", "forbidden character (U+0001)")]
    [InlineData("alice@exa mple.com", "does not have a valid domain name")]
    [InlineData("alice@", "does not have a valid domain name")]
    [InlineData("alice@[203.0.113.7]", "does not have a valid domain name")]
    public void Bad_logins_are_rejected_naming_the_value(string login, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => ThrottleKeys.Account(login));
        Assert.Contains($"'{login}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Overlong_logins_are_rejected() =>
        Assert.Contains("longer than 320", Assert.Throws<ArgumentException>(() => ThrottleKeys.Account(new string('a', 321))).Message);

    [Theory]
    [InlineData("Example.COM", "example.com")]
    [InlineData(" bücher.example. ", "xn--bcher-kva.example")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    public void Domains_are_lower_case_punycode(string domain, string key) => Assert.Equal(key, ThrottleKeys.Domain(domain));

    [Theory]
    [InlineData("bad_domain!.com")]
    [InlineData("")]
    [InlineData("a..b")]
    public void Bad_domains_are_rejected_naming_the_value(string domain) =>
        Assert.Contains($"Domain '{domain}'", Assert.Throws<ArgumentException>(() => ThrottleKeys.Domain(domain)).Message);

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7", "203.0.113.0/24")]
    [InlineData(" 203.0.113.7 ", "203.0.113.7", "203.0.113.0/24")]
    [InlineData("::ffff:203.0.113.7", "203.0.113.7", "203.0.113.0/24")]
    [InlineData("::FFFF:CB00:7107", "203.0.113.7", "203.0.113.0/24")]
    [InlineData("2001:DB8:0001:0002:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64", "2001:db8:1::/48")]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2::/64", "2001:db8:1::/48")]
    [InlineData("2001:db8:1:ffff:1::", "2001:db8:1:ffff::/64", "2001:db8:1::/48")]
    [InlineData("::1", "::/64", "::/48")]
    public void Ips_are_canonical_and_aggregated(string address, string ip, string network)
    {
        Assert.Equal(ip, ThrottleKeys.Ip(address));
        Assert.Equal(network, ThrottleKeys.Network(address));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-ip")]
    [InlineData("10.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("010.0.0.1")]
    [InlineData("256.1.1.1")]
    [InlineData("[2001:db8::1]")]
    [InlineData("[2001:db8::1]:443")]
    [InlineData("203.0.113.7:80")]
    [InlineData("fe80::1%eth0")]
    [InlineData("203.0.113.0/24")]
    public void Bad_ips_are_rejected_naming_the_value(string address)
    {
        Assert.Contains($"IP address '{address}'", Assert.Throws<ArgumentException>(() => ThrottleKeys.Ip(address)).Message);
        Assert.Throws<ArgumentException>(() => ThrottleKeys.Network(address));
    }

    [Fact]
    public void Every_address_in_a_64_has_one_ip_key_and_every_64_in_a_48_one_network_key()
    {
        var inside64 = Gen.Choose(0, 0xFFFF).Four().Select(x => $"2001:db8:5:6:{x.Item1:x}:{x.Item2:x}:{x.Item3:x}:{x.Item4:x}").ToArbitrary();
        Check.One(Config.QuickThrowOnFailure, Prop.ForAll(inside64, a => ThrottleKeys.Ip(a) == "2001:db8:5:6::/64"));
        var inside48 = Gen.Choose(0, 0xFFFF).Two().Select(x => $"2001:db8:5:{x.Item1:x}:{x.Item2:x}::1").ToArbitrary();
        Check.One(Config.QuickThrowOnFailure, Prop.ForAll(inside48, a => ThrottleKeys.Network(a) == "2001:db8:5::/48"));
    }

    [Fact]
    public void Keys_never_contain_what_the_runtime_rejects()
    {
        var logins = Gen.Elements(' ', 'a', 'Z', '@', '.', 'ü', '{', '\t', '1', '-').ArrayOf().Select(c => new string(c)).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), Prop.ForAll(logins, login =>
        {
            try
            {
                var key = ThrottleKeys.Account(login);
                return key.Length > 0 && !key.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '{' or '}');
            }
            catch (ArgumentException)
            {
                return true;
            }
        }));
    }

    [Theory]
    [InlineData("203.0.113.7/32", "ip", "203.0.113.7", 1)]
    [InlineData("203.0.113.9/30", "ip", "203.0.113.8", 4)]
    [InlineData("203.0.113.0/24", "network", "203.0.113.0/24", 1)]
    [InlineData("10.20.0.0/16", "network", "10.20.0.0/24", 256)]
    [InlineData("2001:db8:1:2::/64", "ip", "2001:db8:1:2::/64", 1)]
    [InlineData("2001:db8:1:200::/56", "ip", "2001:db8:1:200::/64", 256)]
    [InlineData("2001:db8:1::/48", "network", "2001:db8:1::/48", 1)]
    [InlineData("2001:db8::/44", "network", "2001:db8::/48", 16)]
    public void Cidr_listings_go_to_the_grains_that_cover_the_range(string cidr, string kind, string first, int count)
    {
        var targets = ThrottleKeys.ListingTargets(cidr);
        Assert.Equal(count, targets.Count);
        Assert.All(targets, t => Assert.Equal(kind, t.Kind));
        Assert.Equal(first, targets[0].Key);
        Assert.Equal(count, targets.Distinct().Count());
    }

    [Theory]
    [InlineData("10.0.0.0/8", "between /16 and /32")]
    [InlineData("2001:db8::/32", "/40 and /48")]
    [InlineData("2001:db8::1/128", "a whole /64")]
    [InlineData("2001:db8::/52", "/56 and /64")]
    [InlineData("203.0.113.7", "address/prefix")]
    [InlineData("203.0.113.7/x", "address/prefix")]
    public void Unlistable_ranges_are_rejected_naming_the_value(string cidr, string problem)
    {
        var error = Assert.Throws<ArgumentException>(() => ThrottleKeys.ListingTargets(cidr));
        Assert.Contains($"CIDR '{cidr}'", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Account_hashes_are_stable_and_depend_on_the_secret()
    {
        Assert.Equal(ThrottleKeys.AccountHash("alice@example.com", 1), ThrottleKeys.AccountHash("alice@example.com", 1));
        Assert.NotEqual(ThrottleKeys.AccountHash("alice@example.com", 1), ThrottleKeys.AccountHash("alice@example.com", 2));
        // Pinned (FNV-1a 64 then the murmur3 finalizer, computed independently): stored sketches depend on it.
        Assert.Equal(0x53e4b3bc79050458UL, ThrottleKeys.AccountHash("alice@example.com", 0));
    }
}
