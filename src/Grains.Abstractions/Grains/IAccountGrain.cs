namespace ThrottleCluster.Grains.Abstractions;

/// <summary>One account's email quota and cooldowns (key: <see cref="ThrottleKeys.Account"/>).</summary>
[Alias("tc.account")]
public interface IAccountGrain : IInspectableGrain
{
    /// <summary>Every other scope granted this reset: decide, and record the email if it is sent.</summary>
    [Alias("request")]
    Task<AccountResult> Request();

    /// <summary>The token sent last was used, so it no longer suppresses a new email.</summary>
    [Alias("redeemed")]
    Task Redeemed();

    [Alias("set-listing")]
    Task SetListing(Listing listing);
}
