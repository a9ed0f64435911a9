using System.CommandLine;

namespace ThrottleCluster.Cli;

/// <summary>
/// <c>--silo</c> and <c>--api-key</c>, given on any admin command or through the environment
/// (<c>THROTTLECTL_SILO</c>, <c>THROTTLECTL_API_KEY</c>) so the key need not appear in shell history.
/// </summary>
public sealed class SiloOptions
{
    public const string SiloVariable = "THROTTLECTL_SILO";
    public const string ApiKeyVariable = "THROTTLECTL_API_KEY";
    public const string DefaultSilo = "http://127.0.0.1:5101";

    private readonly CliIo _io;

    public SiloOptions(CliIo io)
    {
        _io = io;
        Silo = new Option<string?>("--silo")
        {
            Description = $"The silo's base URL [env {SiloVariable}, default {DefaultSilo}]",
            Recursive = true,
        };
        ApiKey = new Option<string?>("--api-key")
        {
            Description = $"The silo's Admin:ApiKey, sent as X-Api-Key [env {ApiKeyVariable}]",
            Recursive = true,
        };
    }

    public Option<string?> Silo { get; }

    public Option<string?> ApiKey { get; }

    /// <exception cref="UsageException">The silo address is not an http(s) URL; the message says where it came from.</exception>
    public SiloClient Connect(ParseResult parsed)
    {
        var (address, source) = parsed.GetValue(Silo) is { } given
            ? (given, "--silo")
            : _io.Environment(SiloVariable) is { Length: > 0 } fromEnvironment
                ? (fromEnvironment, $"--silo (from {SiloVariable})")
                : (DefaultSilo, "--silo");
        if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new UsageException($"{source}: '{address}' is not an http(s) URL (e.g. {DefaultSilo})");
        return new SiloClient(uri, ApiKeyOf(parsed));
    }

    /// <summary>The admin key from <c>--api-key</c> or the environment; null when neither gives one.</summary>
    public string? ApiKeyOf(ParseResult parsed)
    {
        var key = parsed.GetValue(ApiKey) ?? _io.Environment(ApiKeyVariable);
        return string.IsNullOrEmpty(key) ? null : key;
    }
}
