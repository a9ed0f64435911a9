using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace ThrottleCluster.Tests.Support;

/// <summary>
/// The npm smtp-server script in tests/Support/smtp on 127.0.0.1 (an ephemeral port): STARTTLS
/// (or implicit TLS) with a self-signed certificate made for this run, AUTH required (or optional:
/// a relay that also takes unauthenticated mail), each message written to
/// <see cref="MessageDirectory"/> with the authenticated user beside it (installed by
/// <see cref="NpmPackages"/>). Killed by process id on dispose.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    public const string User = "mailer";
    public const string Password = "s3cret-pass";

    private readonly Process _process;
    private readonly string _directory;

    private SmtpTestServer(Process process, string directory, int port, X509Certificate2 certificate)
    {
        _process = process;
        _directory = directory;
        Port = port;
        Certificate = certificate;
    }

    public int Port { get; }

    public string MessageDirectory => Path.Combine(_directory, "messages");

    public X509Certificate2 Certificate { get; }

    public int ProcessId => _process.Id;

    /// <param name="implicitTls">TLS from the first byte (SMTPS) instead of STARTTLS.</param>
    /// <param name="authOptional">Also accept mail without AUTH.</param>
    /// <param name="noAuth">AUTH not offered at all; mail accepted without it.</param>
    /// <param name="socketTimeout">Idle connections closed by the server after this long.</param>
    /// <param name="replyDelay">Each message stored, then accepted this much later.</param>
    public static async Task<SmtpTestServer> StartAsync(bool implicitTls = false, bool authOptional = false, bool noAuth = false, TimeSpan? socketTimeout = null, TimeSpan? replyDelay = null)
    {
        var script = await NpmPackages.InstallAsync("smtp");
        var directory = Directory.CreateTempSubdirectory("tc-smtp-").FullName;
        var certificate = CreateCertificate();
        var key = Path.Combine(directory, "key.pem");
        var cert = Path.Combine(directory, "cert.pem");
        await File.WriteAllTextAsync(key, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        await File.WriteAllTextAsync(cert, certificate.ExportCertificatePem());

        var start = new ProcessStartInfo("node") { WorkingDirectory = script, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "server.js", "--dir", Path.Combine(directory, "messages"), "--user", User, "--password", Password, "--key", key, "--cert", cert })
            start.ArgumentList.Add(arg);
        foreach (var (flag, on) in new[] { ("--implicit-tls", implicitTls), ("--auth-optional", authOptional), ("--no-auth", noAuth) })
        {
            if (!on) continue;
            start.ArgumentList.Add(flag);
            start.ArgumentList.Add("1");
        }
        foreach (var (flag, value) in new[] { ("--socket-timeout", socketTimeout), ("--reply-delay", replyDelay) })
        {
            if (value is not { } milliseconds) continue;
            start.ArgumentList.Add(flag);
            start.ArgumentList.Add(((long)milliseconds.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        var process = Process.Start(start)!;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) errors.Enqueue(e.Data); };
        process.BeginErrorReadLine();
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            if (line is null || !line.StartsWith("LISTENING ", StringComparison.Ordinal))
                throw new InvalidOperationException($"The SMTP test server did not start: {line} {string.Join(" | ", errors)}");
            return new SmtpTestServer(process, directory, int.Parse(line[10..]), certificate);
        }
        catch
        {
            Kill(process);
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    private static X509Certificate2 CreateCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    /// <summary>
    /// The Api's settings for this server: TLS as the server runs it, AUTH with <paramref name="password"/>,
    /// and this run's self-signed certificate trusted through the test-only option.
    /// </summary>
    public Dictionary<string, string?> ApiSettings(string password = Password, bool implicitTls = false) => new()
    {
        ["Email:PickupDirectory"] = null,
        ["Email:Smtp:Host"] = "127.0.0.1",
        ["Email:Smtp:Port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Email:Smtp:Tls"] = implicitTls ? "Implicit" : "StartTls",
        ["Email:Smtp:User"] = User,
        ["Email:Smtp:Password"] = password,
        ["Email:Smtp:Timeout"] = "00:00:10",
        ["Email:Smtp:TestOnlyTrustedCertificateThumbprint"] = Certificate.Thumbprint,
    };

    public sealed record Received(string Eml, string? User, bool Secure, string? From, string[] To);

    public IReadOnlyList<Received> Messages()
    {
        if (!Directory.Exists(MessageDirectory)) return [];
        return Directory.GetFiles(MessageDirectory, "*.eml").Order(StringComparer.Ordinal).Select(eml =>
        {
            using var meta = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(eml, ".json")));
            var root = meta.RootElement;
            return new Received(File.ReadAllText(eml), root.GetProperty("user").GetString(), root.GetProperty("secure").GetBoolean(),
                root.GetProperty("from").GetString(), root.GetProperty("to").EnumerateArray().Select(t => t.GetString()!).ToArray());
        }).ToList();
    }

    /// <summary>Connections the server saw opened and closed.</summary>
    public (int Opened, int Closed) Connections()
    {
        var log = Path.Combine(MessageDirectory, "connections.log");
        if (!File.Exists(log)) return (0, 0);
        var lines = File.ReadAllLines(log);
        return (lines.Count(l => l.StartsWith("open ", StringComparison.Ordinal)), lines.Count(l => l.StartsWith("close ", StringComparison.Ordinal)));
    }

    public string AuthFailures()
    {
        var log = Path.Combine(MessageDirectory, "auth-failures.log");
        return File.Exists(log) ? File.ReadAllText(log) : "";
    }

    public async Task<IReadOnlyList<Received>> WaitForMessagesAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var messages = Messages();
            if (messages.Count >= count) return messages;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Expected {count} messages at the SMTP server, got {messages.Count}.");
            await Task.Delay(25);
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill(_process);
        _process.Dispose();
        Certificate.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
