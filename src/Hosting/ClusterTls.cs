using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace ThrottleCluster.Hosting;

/// <summary>
/// TLS with mutual authentication between silos and between clients and gateways, by one cluster
/// certificate every node holds (<see cref="ClusterSettings.TlsCertificate"/>). A peer belongs to the
/// cluster when it presents that very certificate, and the handshake proves it holds its private
/// key; who issued it does not matter, so a self-signed certificate is enough.
/// </summary>
internal static class ClusterTls
{
    public static void Configure(TlsOptions options, X509Certificate2 certificate)
    {
        options.LocalCertificate = certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.RemoteCertificateValidation = (remote, _, _) => CryptographicOperations.FixedTimeEquals(remote.RawData, certificate.RawData);
    }
}
