namespace ThrottleCluster.Hosting.Storage;

/// <summary>This process's <see cref="RedisEngine"/> answers a PING.</summary>
public sealed class RedisEngineProbe(RedisEngine engine) : ReadinessCheck
{
    protected override string Failure => "did not answer a PING";

    protected override Task ProbeAsync(CancellationToken ct) => engine.Connection.GetDatabase().PingAsync();
}
