using System.Net;
using System.Net.Sockets;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// Ports for the servers tests start on 127.0.0.1. They come from below Linux's ephemeral range
/// (32768-60999): a port the operating system hands out for "any free port" is also what it gives
/// the next outgoing connection, and with parallel test processes holding hundreds of connections
/// one took a silo's port between the pick and the bind. Each port is given once per process,
/// from a random start so that parallel processes pick apart, and only after a bind shows it free.
/// </summary>
public static class LoopbackPort
{
    public const string Host = "127.0.0.1";

    private const int First = 20_000;
    private const int Count = 12_768;

    private static int _next = Random.Shared.Next(Count);

    /// <summary>A port on 127.0.0.1 no one listens on, not given before by this process.</summary>
    public static int Free()
    {
        for (var tries = 0; tries < Count; tries++)
        {
            var port = First + (int)((uint)Interlocked.Increment(ref _next) % Count);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }
        throw new InvalidOperationException($"No free port on {Host} in {First}-{First + Count - 1}.");
    }
}
