using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace ThrottleCluster.Hosting;

/// <summary>
/// A request body's charset, checked before an endpoint binds JSON (routing has chosen the endpoint by then). The framework's JSON reader
/// throws (a 500) on a charset it cannot resolve, quoted ones included although HTTP allows
/// <c>charset="utf-8"</c>. A quoted charset is unquoted; an unknown one gets 415 problem+json.
/// </summary>
internal static class RequestCharset
{
    public static Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        // Only endpoints that bind a JSON body (they declare what they accept); others read bytes as they are.
        if (context.GetEndpoint()?.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is not null
            && context.Request.ContentType is { } contentType
            && MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            && mediaType.Charset is { Length: > 0 } charset)
        {
            var name = HeaderUtilities.RemoveQuotes(charset);
            if (!IsKnown(name))
            {
                return Problems.WriteAsync(context, new Problems.Problem(StatusCodes.Status415UnsupportedMediaType, "Unsupported charset",
                    $"The request's charset '{name}' is not supported; send UTF-8."));
            }
            if (name.Length != charset.Length)
            {
                mediaType.Charset = name;
                context.Request.ContentType = mediaType.ToString();
            }
        }
        return next(context);
    }

    private static bool IsKnown(StringSegment name)
    {
        if (name.Equals("utf-8", StringComparison.OrdinalIgnoreCase)) return true;
        try
        {
            Encoding.GetEncoding(name.ToString());
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
