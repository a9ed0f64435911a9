using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace ThrottleCluster.Hosting;

/// <summary>Where the cluster keeps membership and grain state.</summary>
public enum ClusterProvider
{
    /// <summary>One silo with memory storage, in the process that needs it (the embedded Api, a developer's silo).</summary>
    Localhost,
    /// <summary>Garnet or Redis, single node or cluster: membership and grain state.</summary>
    Redis,
    /// <summary>Azure Storage (Azurite locally): Table membership and Table grain state.</summary>
    AzureStorage,
}

/// <summary>
/// The <c>Cluster</c> section: how silos find each other and their store, and how they and their
/// clients treat a silo that stops answering. Read once at start-up; a bad value stops it with a
/// message naming the key and the value.
/// </summary>
public sealed partial record ClusterSettings
{
    public const string Section = "Cluster";

    public ClusterProvider Provider { get; init; } = ClusterProvider.Localhost;

    /// <summary>StackExchange.Redis configuration of the engine (<see cref="ClusterProvider.Redis"/>).</summary>
    public string? Redis { get; init; }

    /// <summary>Azure Storage connection string (<see cref="ClusterProvider.AzureStorage"/>).</summary>
    public string? AzureStorage { get; init; }

    /// <summary>Silos and clients with the same ids form one cluster over one store.</summary>
    public string ClusterId { get; init; } = "throttlecluster";

    public string ServiceId { get; init; } = "throttlecluster";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>Port Orleans clients (an Api in cluster mode) connect to.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>
    /// The address this silo announces and listens on. Loopback by default: a grain call can do what
    /// an operator can, so silo and gateway ports reach other hosts only when this is set, and then
    /// only with <see cref="TlsCertificate"/>.
    /// </summary>
    public IPAddress AdvertisedAddress { get; init; } = IPAddress.Loopback;

    /// <summary>
    /// The cluster's certificate (PKCS #12 file, with its private key), the same on every silo and
    /// client: connections between them use TLS, and a peer without it can neither join nor call.
    /// </summary>
    public X509Certificate2? TlsCertificate { get; init; }

    /// <summary>How long a grain call waits for its answer before failing; a dead silo's calls fail this fast.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a silo may fail to answer probes before the others evict it (seconds, as measured here).</summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An account grain idle this long is collected; a flood makes them by the million.</summary>
    public TimeSpan AccountCollectionAge { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Any other grain idle this long is collected (Orleans' default).</summary>
    public TimeSpan CollectionAge { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Prefix of grain state keys in Redis, so several deployments can share an engine.</summary>
    public string RedisKeyPrefix { get; init; } = "tc:";

    /// <summary>Azure table holding grain state.</summary>
    public string StateTable { get; init; } = "throttlestate";

    /// <summary>How often a silo deletes expired rows from <see cref="StateTable"/> (tables have no expiry of their own).</summary>
    public TimeSpan SweepInterval { get; init; } = TimeSpan.FromMinutes(5);

    public bool IsEmbedded => Provider == ClusterProvider.Localhost;

    /// <exception cref="InvalidOperationException">A value is missing or out of range; the message names key and value.</exception>
    public static ClusterSettings Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var defaults = new ClusterSettings();
        var settings = new ClusterSettings
        {
            Provider = Parse(section, nameof(Provider), defaults.Provider, text => Enum.TryParse<ClusterProvider>(text, ignoreCase: true, out var p) && Enum.IsDefined(p) ? p : null,
                $"one of {string.Join(", ", Enum.GetNames<ClusterProvider>())}"),
            Redis = section[nameof(Redis)],
            AzureStorage = section[nameof(AzureStorage)],
            ClusterId = Parse(section, nameof(ClusterId), defaults.ClusterId, Id, IdRule),
            ServiceId = Parse(section, nameof(ServiceId), defaults.ServiceId, Id, IdRule),
            SiloPort = Parse(section, nameof(SiloPort), defaults.SiloPort, Port, PortRule),
            GatewayPort = Parse(section, nameof(GatewayPort), defaults.GatewayPort, Port, PortRule),
            AdvertisedAddress = Parse(section, nameof(AdvertisedAddress), defaults.AdvertisedAddress, text => IPAddress.TryParse(text, out var a) ? a : null, "an IP address"),
            ResponseTimeout = Parse(section, nameof(ResponseTimeout), defaults.ResponseTimeout, Span(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(5)), "a duration from 00:00:00.1 to 00:05:00"),
            ProbeTimeout = Parse(section, nameof(ProbeTimeout), defaults.ProbeTimeout, Span(TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1)), "a duration from 00:00:00.1 to 00:01:00"),
            AccountCollectionAge = Parse(section, nameof(AccountCollectionAge), defaults.AccountCollectionAge, Span(TimeSpan.FromSeconds(30), TimeSpan.FromDays(1)), "a duration from 00:00:30 to 1.00:00:00"),
            CollectionAge = Parse(section, nameof(CollectionAge), defaults.CollectionAge, Span(TimeSpan.FromSeconds(30), TimeSpan.FromDays(1)), "a duration from 00:00:30 to 1.00:00:00"),
            RedisKeyPrefix = section[nameof(RedisKeyPrefix)] ?? defaults.RedisKeyPrefix,
            StateTable = Parse(section, nameof(StateTable), defaults.StateTable, text => TableName().IsMatch(text) ? text : null, "3 to 63 letters and digits, starting with a letter"),
            SweepInterval = Parse(section, nameof(SweepInterval), defaults.SweepInterval, Span(TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)), "a duration from 00:00:01 to 1.00:00:00"),
            TlsCertificate = section[nameof(TlsCertificate)] is { Length: > 0 } path ? LoadCertificate(path, section[TlsCertificatePasswordKey]) : null,
        };
        if (!IPAddress.IsLoopback(settings.AdvertisedAddress) && settings.TlsCertificate is null)
            throw new InvalidOperationException($"{Section}:{nameof(AdvertisedAddress)} is {settings.AdvertisedAddress}, which other hosts reach: set {Section}:{nameof(TlsCertificate)} too, or grain calls would cross the network unauthenticated.");
        switch (settings.Provider)
        {
            case ClusterProvider.Redis:
                Require(nameof(Redis), settings.Redis, "the engine's address, e.g. 127.0.0.1:6379");
                try
                {
                    if (ConfigurationOptions.Parse(settings.Redis!).EndPoints.Count == 0) throw new ArgumentException("it names no endpoint");
                }
                catch (ArgumentException ex)
                {
                    // Not quoted: a connection string may hold a password.
                    throw new InvalidOperationException($"{Section}:{nameof(Redis)} is not a StackExchange.Redis connection string: {ex.Message}.");
                }
                break;
            case ClusterProvider.AzureStorage:
                Require(nameof(AzureStorage), settings.AzureStorage, "an Azure Storage connection string");
                break;
        }
        return settings;
    }

    /// <summary>The password of <see cref="TlsCertificate"/>'s file, if it has one.</summary>
    public const string TlsCertificatePasswordKey = "TlsCertificatePassword";

    private const string IdRule = "letters, digits, '-' and '_'";
    private const string PortRule = "a port from 1 to 65535";

    private static string? Id(string text) => Regex.IsMatch(text, "^[A-Za-z0-9_-]{1,64}$") ? text : null;

    private static int? Port(string text) => int.TryParse(text, out var port) && port is > 0 and <= 65535 ? port : null;

    private static Func<string, TimeSpan?> Span(TimeSpan min, TimeSpan max)
        => text => TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) && span >= min && span <= max ? span : null;

    private static T Parse<T>(IConfigurationSection section, string key, T fallback, Func<string, T?> parse, string expected) where T : class
        => section[key] is { } text ? parse(text) ?? throw Invalid(key, text, expected) : fallback;

    private static T Parse<T>(IConfigurationSection section, string key, T fallback, Func<string, T?> parse, string expected) where T : struct
        => section[key] is { } text ? parse(text) ?? throw Invalid(key, text, expected) : fallback;

    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"{Section}:{nameof(TlsCertificate)} must be a readable PKCS #12 file with its password in {Section}:{TlsCertificatePasswordKey} (was '{path}': {ex.Message}).", ex);
        }
        if (!certificate.HasPrivateKey)
            throw new InvalidOperationException($"{Section}:{nameof(TlsCertificate)} must hold the certificate's private key (was '{path}').");
        return certificate;
    }

    private static void Require(string key, string? value, string expected)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new InvalidOperationException($"{Section}:{key} must be set with {Section}:Provider={key}: {expected}.");
    }

    private static InvalidOperationException Invalid(string key, string value, string expected)
        => new($"{Section}:{key} must be {expected} (was '{value}').");

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();
}
