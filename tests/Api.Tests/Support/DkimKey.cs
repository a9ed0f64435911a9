using System.Security.Cryptography;
using MimeKit;
using MimeKit.Cryptography;

namespace ThrottleCluster.Api.Tests.Support;

/// <summary>
/// An RSA key made for one test, written as the PEM file <c>Email:Dkim:PrivateKeyFile</c> names,
/// and a verifier that finds its public key as DNS would publish it (<c>v=DKIM1; k=rsa; p=...</c>).
/// </summary>
public sealed class DkimKey : IDisposable
{
    public const string Domain = "example.com";
    public const string Selector = "reset2026";

    private readonly RSA _rsa = RSA.Create(2048);

    public DkimKey()
    {
        File = Path.Combine(Path.GetTempPath(), $"tc-dkim-{Guid.NewGuid():N}.pem");
        System.IO.File.WriteAllText(File, _rsa.ExportRSAPrivateKeyPem());
    }

    public string File { get; }

    public Dictionary<string, string?> ApiSettings() => new()
    {
        ["Email:Dkim:PrivateKeyFile"] = File,
        ["Email:Dkim:Domain"] = Domain,
        ["Email:Dkim:Selector"] = Selector,
    };

    /// <summary>Whether the message's DKIM-Signature verifies against this key (false when it has none).</summary>
    public async Task<bool> VerifiesAsync(MimeMessage message)
    {
        var index = message.Headers.IndexOf(HeaderId.DkimSignature);
        if (index < 0) return false;
        var verifier = new DkimVerifier(new Locator($"v=DKIM1; k=rsa; p={Convert.ToBase64String(_rsa.ExportSubjectPublicKeyInfo())}"));
        return await verifier.VerifyAsync(message, message.Headers[index]);
    }

    public static MimeMessage Parse(string eml) => MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(eml)));

    public void Dispose()
    {
        _rsa.Dispose();
        System.IO.File.Delete(File);
    }

    private sealed class Locator(string txt) : DkimPublicKeyLocatorBase
    {
        public override Org.BouncyCastle.Crypto.AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default)
        {
            Assert.Equal((Domain, Selector), (domain, selector));
            return GetPublicKey(txt);
        }

        public override Task<Org.BouncyCastle.Crypto.AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
            => Task.FromResult(LocatePublicKey(methods, domain, selector, cancellationToken));
    }
}
