using Microsoft.Extensions.Options;
using MimeKit;

namespace ThrottleCluster.Api.Email;

/// <summary>
/// Writes each email as an .eml file to <c>Email:PickupDirectory</c>, led by the envelope lines
/// pickup relays read (<c>X-Sender</c>, <c>X-Receiver</c>). The file is written under a
/// temporary name in the same directory and renamed when complete, so a reader listing *.eml never
/// sees a partial file (a rename within one directory is atomic).
/// </summary>
public sealed class PickupDirectoryEmailSender : IEmailSender
{
    private const string TemporarySuffix = ".partial";

    /// <summary>CRLF line ends, as on the wire (MimeKit's default follows the platform).</summary>
    private static readonly FormatOptions Format = new() { NewLineFormat = NewLineFormat.Dos };

    private readonly ResetMessageBuilder _messages;

    public PickupDirectoryEmailSender(IOptions<EmailOptions> options, IHostEnvironment environment, ResetMessageBuilder messages)
    {
        _messages = messages;
        Directory = Path.GetFullPath(options.Value.PickupDirectory!, environment.ContentRootPath);
        System.IO.Directory.CreateDirectory(Directory);
    }

    /// <summary>The absolute directory the .eml files go to.</summary>
    public string Directory { get; }

    public string Destination => $".eml files in {Directory}" + (_messages.Signing is { } signing ? $" ({signing})" : "");

    public async Task SendAsync(OutgoingEmail email, CancellationToken ct)
    {
        var message = _messages.Build(email);
        var name = Guid.NewGuid().ToString("N");
        var partial = Path.Combine(Directory, "." + name + TemporarySuffix);
        try
        {
            await using (var file = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 16_384, useAsync: true))
            {
                var envelope = System.Text.Encoding.ASCII.GetBytes($"X-Sender: {_messages.From.Address}\r\nX-Receiver: {email.To}\r\n");
                await file.WriteAsync(envelope, ct).ConfigureAwait(false);
                await message.WriteToAsync(Format, file, ct).ConfigureAwait(false);
                await file.FlushAsync(ct).ConfigureAwait(false);
            }
            File.Move(partial, Path.Combine(Directory, name + ".eml"));
        }
        catch
        {
            File.Delete(partial);
            throw;
        }
    }
}
