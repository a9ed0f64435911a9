using System.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace ThrottleCluster.Hosting;

/// <summary>
/// Reads every request body up front, bounded by <see cref="RequestLimits"/> for the endpoint
/// routing chose, and answers 413 problem+json when it is larger: declared (Content-Length) or
/// found while reading a chunked body. Endpoints then parse from memory, so no framework reader
/// ever meets an oversized body (which would surface as a 500 or an empty answer), and the limit
/// is the same for every endpoint and both hosts. A body that is not well-formed HTTP gets 400.
/// </summary>
public static class RequestBodyLimit
{
    public static WebApplication UseRequestLimits(this WebApplication app)
    {
        app.Use(GuardAsync);
        return app;
    }

    private static async Task GuardAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody
                      ?? (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0);
        if (!hasBody)
        {
            await next(context);
            return;
        }
        var max = context.RequestServices.GetRequiredService<IOptions<RequestLimits>>().Value.MaxBodyBytesFor(context.GetEndpoint());
        if (request.ContentLength > max)
        {
            await TooLarge(max).ExecuteAsync(context);
            return;
        }

        var body = new MemoryStream(request.ContentLength is > 0 and var length ? (int)length : 1024);
        // Pooled: a fresh 16 KiB array per request was most of what a decision allocated.
        var chunk = ArrayPool<byte>.Shared.Rent(Math.Min(max + 1, 16 * 1024));
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (body.Length + read > max)
                {
                    await TooLarge(max).ExecuteAsync(context);
                    return;
                }
                body.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel's own limit (RequestLimits.DrainBytes), a broken chunk or a body shorter than declared.
            await (ex.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? TooLarge(max)
                : Problems.Invalid("The request body is not well-formed HTTP (broken chunks, or shorter than its Content-Length).")).ExecuteAsync(context);
            return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        body.Position = 0;
        request.Body = body;
        await next(context);
    }

    private static Problems.Problem TooLarge(int max)
        => new(StatusCodes.Status413PayloadTooLarge, "Request body too large", $"The request body is larger than this endpoint's limit of {max} bytes.");
}
