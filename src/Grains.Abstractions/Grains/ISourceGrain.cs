namespace ThrottleCluster.Grains.Abstractions;

/// <summary>A source of requests, an address or a network: what the ip and network grains share.</summary>
[Alias("tc.source")]
public interface ISourceGrain : IInspectableGrain
{
    /// <summary>A request from this source for the account with this hash (<see cref="ThrottleKeys.AccountHash"/>).</summary>
    [Alias("reserve")]
    Task<SourceResult> Reserve(ulong accountHash);

    /// <summary>The source's standing (blocked? clean record?) without counting a request.</summary>
    [Alias("peek")]
    Task<SourceResult> Peek();

    [Alias("release")]
    Task Release(Receipt receipt);

    [Alias("set-listing")]
    Task SetListing(Listing listing);
}

/// <summary>One client address (key: <see cref="ThrottleKeys.Ip"/>), under the ip policy.</summary>
[Alias("tc.ip")]
public interface IIpGrain : ISourceGrain;

/// <summary>One network, IPv4 /24 or IPv6 /48 (key: <see cref="ThrottleKeys.Network"/>), under the network policy.</summary>
[Alias("tc.network")]
public interface INetworkGrain : ISourceGrain;
