using System.Globalization;
using System.Text.RegularExpressions;

namespace ThrottleCluster.Cli.Attack;

/// <summary>The mail that really left: .eml files in the Api's pickup directory, told apart by recipient.</summary>
/// <param name="LegitFirstMailedUtc">Per legitimate account, when its first .eml was written.</param>
public sealed partial record PickupMail(int Total, int AttackEmails, int LegitEmails, Dictionary<int, DateTime> LegitFirstMailedUtc, int Unparsed)
{
    public static int CountFiles(string dir) => Directory.EnumerateFiles(dir, "*.eml").Count();

    [GeneratedRegex(@"^To:.*?\b([al])(\d+)@d\d+\.example", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex ToHeader();

    public static PickupMail Count(string dir)
    {
        int total = 0, attack = 0, legit = 0, unparsed = 0;
        var legitFirstMailed = new Dictionary<int, DateTime>();
        foreach (var f in Directory.EnumerateFiles(dir, "*.eml"))
        {
            total++;
            string head;
            using (var r = new StreamReader(f))
            {
                var buf = new char[4096];
                var n = r.ReadBlock(buf, 0, buf.Length);
                head = new string(buf, 0, n);
            }
            var end = head.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end > 0) head = head[..end];
            var m = ToHeader().Match(head);
            if (!m.Success) { unparsed++; continue; }
            if (m.Groups[1].Value is "a" or "A") attack++;
            else
            {
                legit++;
                var account = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
                var written = File.GetLastWriteTimeUtc(f);
                if (!legitFirstMailed.TryGetValue(account, out var first) || written < first) legitFirstMailed[account] = written;
            }
        }
        return new PickupMail(total, attack, legit, legitFirstMailed, unparsed);
    }
}
