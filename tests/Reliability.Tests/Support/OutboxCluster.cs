using ThrottleCluster.Tests.Support;

namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// What the email-delivery fault tests share and never break: a Garnet and one silo process on it.
/// Each test's <see cref="OutboxRig"/> adds an Api process of its own, with an outbox and accounts
/// of its own, as a client of this silo.
/// </summary>
public sealed class OutboxCluster : IAsyncLifetime
{
    public GarnetServer Garnet { get; private set; } = null!;

    public ProductCluster Silos { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Garnet = await GarnetServer.StartAsync();
        try
        {
            Silos = await ProductCluster.StartAsync(Garnet.ConnectionString, siloCount: 1);
        }
        catch
        {
            Garnet.Dispose();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (Silos is not null) await Silos.DisposeAsync();
        Garnet?.Dispose();
    }
}
