using ThrottleCluster.Silo.Tests.Support;

namespace ThrottleCluster.Silo.Tests;

/// <summary>
/// Through <c>POST /v1/decisions</c>: spellings that key normalization maps together (fullwidth,
/// decomposed, upper-case IDN) spend one account quota; a look-alike in another script is another
/// account, and its mixed-script domain another domain.
/// </summary>
public sealed class HostileUnicodeLoginTests(SiloFactory silo) : IClassFixture<SiloFactory>
{
    private readonly HttpClient _client = silo.CreateSiloClient();

    [Theory]
    [InlineData("quota.one@example.com", "ｑｕｏｔａ．ｏｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ")]
    [InlineData("josé.two@bücher.example", "JOSE\u0301.TWO@BU\u0308CHER.EXAMPLE")]
    [InlineData("three@bücher.example", "three@xn--bcher-kva.example")]
    [InlineData("ﬁve@example.com", "five@example.com")]
    public async Task Spellings_normalization_maps_together_share_one_account_quota(string first, string second)
    {
        Assert.Equal("Send", (await _client.DecisionAsync("203.0.113.201", first)).Verdict());
        var again = await _client.DecisionAsync("198.51.100.201", second);
        Assert.Equal("Suppress", again.Verdict());
        Assert.Contains("Cooldown", again.Denied("account"));
    }

    [Theory]
    [InlineData("lookalike@paypal.com", "lookalike@раypal.com")] // Cyrillic р and а in the domain
    [InlineData("alice.look@example.com", "аlice.look@example.com")] // Cyrillic а in the local part
    public async Task A_look_alike_in_another_script_is_another_account(string latin, string mixed)
    {
        Assert.Equal("Send", (await _client.DecisionAsync("203.0.113.202", latin)).Verdict());
        Assert.Equal("Send", (await _client.DecisionAsync("198.51.100.202", mixed)).Verdict());
        // And each spelling, asked again, is its own account's cooldown: the same input, the same key.
        Assert.Contains("Cooldown", (await _client.DecisionAsync("198.51.100.203", mixed)).Denied("account"));
    }
}
