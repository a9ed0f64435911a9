namespace ThrottleCluster.Hosting.Storage;

/// <summary>This process's <see cref="RedisEngine"/> answers a PING.</summary>
public sealed class RedisEngineProbe(RedisEngine engine) : IHealthProbe
{
    public string Name => "engine";

    public Task CheckAsync(CancellationToken ct) => engine.Connection.GetDatabase().PingAsync();
}
