using Microsoft.Extensions.Options;
using MimeKit;
using MimeKit.Cryptography;
using MimeKit.Utils;
using ThrottleCluster.Api.Accounts;

namespace ThrottleCluster.Api.Email;

/// <summary>
/// Turns a composed reset email into the MIME message both senders write: From from
/// <c>Email:Smtp:From</c>, a Message-Id in the sender's domain, <c>Auto-Submitted</c>, a plain
/// UTF-8 body, and a DKIM signature when <c>Email:Dkim</c> is configured.
/// </summary>
public sealed class ResetMessageBuilder
{
    /// <summary>The headers the DKIM signature covers: what a phisher would want to change.</summary>
    internal static readonly HeaderId[] SignedHeaders = [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId, HeaderId.MimeVersion, HeaderId.ContentType, HeaderId.ContentTransferEncoding];

    private readonly MailboxAddress _from;
    private readonly DkimSigner? _signer;
    private readonly TimeProvider _time;

    public ResetMessageBuilder(IOptions<EmailOptions> options, IHostEnvironment environment, TimeProvider time)
    {
        _from = MailboxAddress.Parse(options.Value.Smtp.From!);
        _signer = CreateSigner(options.Value.Dkim, environment);
        _time = time;
    }

    /// <summary>"d=example.com s=mail" when signing, for the start-up message.</summary>
    public string? Signing => _signer is null ? null : $"DKIM d={_signer.Domain} s={_signer.Selector}";

    /// <summary>The envelope sender: the From address.</summary>
    public MailboxAddress From => _from;

    /// <exception cref="PermanentEmailException">The recipient is not a plain, checked address.</exception>
    public MimeMessage Build(OutgoingEmail email)
    {
        if (AccountRules.CheckEmail(email.To) is { } problem) throw new PermanentEmailException($"Cannot send to the account's address: {problem}.");
        var message = new MimeMessage();
        message.From.Add(_from);
        message.To.Add(new MailboxAddress("", email.To));
        message.Subject = email.Subject;
        message.Date = _time.GetUtcNow();
        message.MessageId = MimeUtils.GenerateMessageId(_from.Domain);
        message.Headers.Add("Auto-Submitted", "auto-generated");
        var body = new TextPart(MimeKit.Text.TextFormat.Plain);
        body.SetText(System.Text.Encoding.UTF8, email.TextBody);
        message.Body = body;
        // Encodings fixed before signing: a relay that re-encodes the body would break the signature.
        message.Prepare(EncodingConstraint.SevenBit);
        _signer?.Sign(message, SignedHeaders);
        return message;
    }

    /// <exception cref="InvalidOperationException">The key file cannot be read as a private key; the message names key and path.</exception>
    internal static DkimSigner? CreateSigner(DkimOptions dkim, IHostEnvironment environment)
    {
        if (!dkim.IsConfigured) return null;
        var path = Path.GetFullPath(dkim.PrivateKeyFile!, environment.ContentRootPath);
        try
        {
            return new DkimSigner(path, dkim.Domain!, dkim.Selector!, DkimSignatureAlgorithm.RsaSha256)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                AgentOrUserIdentifier = "@" + dkim.Domain,
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentException or Org.BouncyCastle.Security.SecurityUtilityException or InvalidCastException)
        {
            throw new InvalidOperationException($"Email:Dkim:PrivateKeyFile could not be read as a PEM RSA private key (was '{path}'): {ex.Message}", ex);
        }
    }
}
