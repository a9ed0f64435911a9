namespace ThrottleCluster.Reliability.Tests.Support;

/// <summary>A plain SMTP server on a free loopback port that accepts every message and counts it by recipient.</summary>
public sealed class SmtpSink : IAsyncDisposable
{
    private readonly SmtpFaultServer _server;

    private SmtpSink(SmtpFaultServer server) => _server = server;

    public int Port => _server.Port;

    /// <summary>Messages received so far.</summary>
    public int Total => _server.Received.Count;

    public static Task<SmtpSink> StartAsync()
        => Task.FromResult(new SmtpSink(SmtpFaultServer.Start(ProductHosts.FreePort())));

    /// <summary>Messages received per recipient address (lower case).</summary>
    public IReadOnlyDictionary<string, int> PerRecipient() => _server.CountByRecipient();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
