using System.Text;
using System.Text.RegularExpressions;

namespace ThrottleCluster.Tests.Support;

/// <summary>Just enough of an .eml reader for the tests: headers, the decoded text body, the reset link.</summary>
public sealed partial record Eml(IReadOnlyDictionary<string, string> Headers, string Body, string RawHeaders)
{
    public static Eml Read(string path) => Parse(File.ReadAllText(path));

    public static Eml Parse(string raw)
    {
        var split = raw.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = raw[..split];
        var body = raw[(split + 4)..];
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? last = null;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t') && last is not null) headers[last] += " " + line.Trim();
            else if (line.IndexOf(':') is var colon and > 0) headers[last = line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var encoding = headers.GetValueOrDefault("Content-Transfer-Encoding", "7bit").ToLowerInvariant();
        var text = encoding switch
        {
            "base64" => Encoding.UTF8.GetString(Convert.FromBase64String(string.Concat(body.Split("\r\n")).Trim())),
            "quoted-printable" => DecodeQuotedPrintable(body),
            _ => body,
        };
        return new Eml(headers, text, head);
    }

    public string ResetLink => LinkPattern().Match(Body) is { Success: true } m ? m.Value : throw new InvalidOperationException($"No reset link in: {Body}");

    public string Token => Uri.UnescapeDataString(ResetLink[(ResetLink.IndexOf("token=", StringComparison.Ordinal) + 6)..]);

    private static string DecodeQuotedPrintable(string body)
    {
        var bytes = new List<byte>();
        var joined = body.Replace("=\r\n", "", StringComparison.Ordinal);
        for (var i = 0; i < joined.Length; i++)
        {
            if (joined[i] == '=' && i + 2 < joined.Length)
            {
                bytes.Add(Convert.ToByte(joined.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(joined[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    [GeneratedRegex(@"https://app\.example\.com/reset\?token=[A-Za-z0-9_.%-]+")]
    private static partial Regex LinkPattern();
}
