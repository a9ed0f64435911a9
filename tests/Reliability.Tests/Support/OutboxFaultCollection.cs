namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>
/// The email-delivery fault tests run one after another on one <see cref="OutboxCluster"/>: what
/// they break is the Api and its SMTP server, and each brings its own of both.
/// </summary>
[CollectionDefinition(Name)]
public sealed class OutboxFaultCollection : ICollectionFixture<OutboxCluster>
{
    public const string Name = "outbox faults";
}
