using ThrottleCluster.Grains.Abstractions;

namespace ThrottleCluster.Grains.Tests;

public class AccountGrainTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly AccountCommand Request = new AccountCommand.Request();
    private static readonly AccountCommand Redeemed = new AccountCommand.Redeemed();

    private AccountState _state = AccountLogic.Initial;

    private AccountResult Do(AccountCommand command, DateTimeOffset at, AccountPolicy? policy = null)
    {
        (_state, var result) = AccountLogic.Apply(policy ?? new AccountPolicy(), _state, command, at);
        return result;
    }

    private AccountResult Ask(double minutes, AccountPolicy? policy = null) => Do(Request, T0.AddMinutes(minutes), policy);

    [Fact]
    public void First_request_sends_and_a_second_while_the_token_is_valid_sends_nothing()
    {
        Assert.True(Ask(0).Granted);
        var again = Ask(0.5);
        Assert.False(again.Granted);
        Assert.Equal(Rule.Cooldown | Rule.TokenOutstanding, again.Denied);
        Assert.Equal(Rule.TokenOutstanding, Ask(10).Denied);
        Assert.True(Ask(15).Granted);
    }

    [Fact]
    public void A_redeemed_token_no_longer_suppresses_but_the_cooldown_still_holds()
    {
        Ask(0);
        Do(Redeemed, T0.AddSeconds(20));
        Assert.Equal(Rule.Cooldown, Ask(0.5).Denied);
        Assert.Equal(Rule.Cooldown, Ask(1).Denied); // the request at 30 s doubled the cooldown to 120 s, this one to 240 s
        Assert.True(Ask(4).Granted);
    }

    [Fact]
    public void Requests_during_a_cooldown_double_it_up_to_the_cap_counted_from_the_last_email()
    {
        var policy = new AccountPolicy { TokenLifetime = TimeSpan.Zero };
        Assert.True(Ask(0, policy).Granted);
        Assert.Equal(Rule.Cooldown, Ask(0.5, policy).Denied); // cooldown now 120 s
        Assert.Equal(Rule.Cooldown, Ask(1.5, policy).Denied); // now 240 s
        Assert.Equal(Rule.Cooldown, Ask(3.5, policy).Denied); // now 480 s
        Assert.True(Ask(8, policy).Granted);
        Assert.Equal(0, _state.Strikes);

        for (var i = 1; i <= 30; i++) Assert.False(Ask(8 + i * 0.1, policy).Granted);
        Assert.False(Ask(8 + 59.9, policy).Granted);
        Assert.True(Ask(8 + 60, policy).Granted, "capped at one hour after the last email: a flood never locks the account");
    }

    [Fact]
    public void At_most_five_an_hour_and_ten_a_day()
    {
        var policy = new AccountPolicy { TokenLifetime = TimeSpan.Zero };
        var sent = Enumerable.Range(0, 10).Count(i => Ask(i * 2, policy).Granted);
        Assert.Equal(5, sent);
        Assert.Equal(Rule.Hourly, Ask(20, policy).Denied);
        Assert.True(Ask(60, policy).Granted, "the first email slid out of the hour");

        _state = AccountLogic.Initial;
        var times = Enumerable.Range(0, 12).Select(i => i * 75.0).ToList(); // every 75 minutes
        var results = times.Select(m => Ask(m, policy)).ToList();
        Assert.Equal(10, results.Count(r => r.Granted));
        Assert.Equal(Rule.Daily, results[10].Denied);
        Assert.True(Ask(24 * 60, policy).Granted, "a day after the first email");
    }

    [Fact]
    public void Shadow_rules_are_reported_but_not_enforced()
    {
        var policy = new AccountPolicy { Shadow = Rule.Cooldown | Rule.TokenOutstanding };
        Ask(0, policy);
        var again = Ask(0.5, policy);
        Assert.True(again.Granted);
        Assert.Equal(Rule.Cooldown | Rule.TokenOutstanding, again.WouldDeny);
        Assert.Equal(Rule.None, again.Denied);
    }

    [Fact]
    public void Listings_allow_or_block_until_they_lapse()
    {
        Do(new AccountCommand.SetListing(new Listing(ListMode.Block, T0.AddHours(1))), T0);
        Assert.Equal(Rule.Blocked, Ask(1).Denied);
        Assert.True(Ask(60).Granted);

        Do(new AccountCommand.SetListing(new Listing(ListMode.Allow, T0.AddHours(2))), T0.AddMinutes(61));
        Assert.True(Ask(62).Granted);
        Assert.True(Ask(63).Granted);
        Assert.True(Ask(121).Granted);
        Assert.False(Ask(121.5).Granted, "the allow listing has lapsed");
        Do(new AccountCommand.SetListing(new Listing(ListMode.None, T0)), T0.AddMinutes(122));
        Assert.Equal(ListMode.None, _state.Listing);
    }

    [Fact]
    public void Time_to_live_covers_the_day_window_and_listings()
    {
        Assert.True(AccountLogic.TimeToLive(new AccountPolicy(), AccountLogic.Initial, T0) <= TimeSpan.Zero);
        Ask(0);
        Assert.Equal(TimeSpan.FromHours(24), AccountLogic.TimeToLive(new AccountPolicy(), _state, T0));
        Do(new AccountCommand.SetListing(new Listing(ListMode.Block, T0.AddDays(3))), T0);
        Assert.Equal(TimeSpan.FromDays(3), AccountLogic.TimeToLive(new AccountPolicy(), _state, T0));
    }

    [Fact]
    public void A_clock_behind_the_last_email_cannot_shorten_the_cooldown()
    {
        var policy = new AccountPolicy { TokenLifetime = TimeSpan.Zero };
        Ask(10, policy);
        Assert.False(Ask(5, policy).Granted);
        Assert.False(Ask(10.9, policy).Granted);
    }
}
