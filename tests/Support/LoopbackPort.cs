using System.Net;
using System.Net.Sockets;

namespace ThrottleCluster.Tests.Support;

public static class LoopbackPort
{
    public const string Host = "127.0.0.1";

    /// <summary>A port on 127.0.0.1 that the operating system just reported free.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
