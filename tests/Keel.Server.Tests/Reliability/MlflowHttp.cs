using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Keel.Server.Tests.Reliability;

internal static class MlflowHttp
{
    /// <summary>POSTs to an MLflow route and returns the body, asserting a 200.</summary>
    public static async Task<JsonElement> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync("api/2.0/mlflow/" + path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
