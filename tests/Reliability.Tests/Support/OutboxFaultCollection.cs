namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>The email-delivery fault tests run one after another: each starts Garnet, an Api process and an SMTP server on two cores.</summary>
[CollectionDefinition(Name)]
public sealed class OutboxFaultCollection
{
    public const string Name = "outbox faults";
}
