using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Keel.Client;
using Keel.Server.Tests.Client;
using Keel.Testing;

namespace Keel.Server.Tests.Datasets;

/// <summary>Profiles, suites and validation of datasets through the server and the client.</summary>
public sealed class DatasetTablesTests(SharedKeelServer fixture) : IClassFixture<SharedKeelServer>
{
    private const string Suite = """
        name: orders
        on_add: refuse
        columns:
          id: {type: long, unique: true}
          amount: {not_null: true, min: 0}
        """;

    [Fact]
    public async Task A_version_is_profiled_on_add_and_an_attached_suite_refuses_or_warns()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("orders.csv");
        await File.WriteAllTextAsync(file, "id,amount,country\n1,10,de\n2,20,fr\n3,30,de\n");
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("orders");

        var first = await client.AddDatasetVersionAsync(name, file);
        Assert.Equal(3, first.Version.RowCount);
        var profiles = await client.GetDatasetProfilesAsync(name);
        Assert.Equal(20, profiles["orders.csv"]["amount"]!.Numeric!.Mean);
        Assert.Equal("de", profiles["orders.csv"]["country"]!.Categorical!.TopValues[0].Value);

        await client.SetDatasetSuiteAsync(name, Suite);
        Assert.Equal(Suite, await client.GetDatasetSuiteAsync(name));
        await File.WriteAllTextAsync(file, "id,amount,country\n1,10,de\n1,-5,fr\n3,,de\n");
        var refused = await Assert.ThrowsAsync<KeelApiException>(() => client.AddDatasetVersionAsync(name, file));
        Assert.Equal("INVALID_PARAMETER_VALUE", refused.ErrorCode);
        Assert.Contains("fails its suite 'orders' (3 rules)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("orders.csv: id unique", refused.Message, StringComparison.Ordinal);
        Assert.Single(await client.ListDatasetVersionsAsync(name));

        await client.SetDatasetSuiteAsync(name, Suite.Replace("on_add: refuse", "on_add: warn", StringComparison.Ordinal));
        var warned = await client.AddDatasetVersionAsync(name, file);
        Assert.True(warned.Created);
        var report = (await client.GetDatasetReportsAsync(name))["orders.csv"];
        Assert.False(report.Success);
        Assert.Equal(3, report.RulesFailed);

        var diff = await client.DiffDatasetVersionsAsync(name, "1", name, "2");
        var table = Assert.Single(diff.Tables);
        Assert.Equal((3L, 3L), (table.RowsBefore!.Value, table.RowsAfter!.Value));
        Assert.Equal(20, table.Columns.Single(c => c.Name == "amount").MeanBefore);
        Assert.Equal(2.5, table.Columns.Single(c => c.Name == "amount").MeanAfter);

        await client.DeleteDatasetSuiteAsync(name);
        Assert.Null(await client.GetDatasetSuiteAsync(name));
    }

    [Fact]
    public async Task Validate_takes_inline_records_or_a_stored_version_and_answers_json_or_html()
    {
        using var http = new HttpClient { BaseAddress = fixture.BaseUri };
        var records = new object[] { new { id = 1, amount = 3.5 }, new { id = 1, amount = -1.0 } };

        using var json = await http.PostAsJsonAsync("/api/2.0/keel/validate", new { suite = Suite, records });
        using var html = await http.PostAsJsonAsync("/api/2.0/keel/validate", new { suite = Suite, records, format = "html" });
        using var bad = await http.PostAsJsonAsync("/api/2.0/keel/validate", new { suite = "columns: {id: {tpye: long}}", records });
        using var neither = await http.PostAsJsonAsync("/api/2.0/keel/validate", new { suite = Suite });

        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        using var document = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        Assert.False(document.RootElement.GetProperty("success").GetBoolean());
        var results = document.RootElement.GetProperty("reports").GetProperty("records").GetProperty("results").EnumerateArray().ToList();
        var unique = results.Single(r => r.GetProperty("rule").GetString() == "unique");
        Assert.Equal(1, unique.GetProperty("failing_rows").GetInt64());
        Assert.Equal(1, unique.GetProperty("sample")[0].GetProperty("row").GetInt64());
        Assert.Equal("text/html; charset=utf-8", html.Content.Headers.ContentType!.ToString());
        Assert.Contains("<span class=\"badge bad\">failed</span>", await html.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("columns.id: unknown field 'tpye'", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, neither.StatusCode);
    }

    [Fact]
    public async Task Adding_a_ragged_csv_is_an_error_naming_the_file_and_line_and_stores_no_version()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("ragged.csv");
        await File.WriteAllTextAsync(file, "a,b\n1,2\n3,4,5\n");
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("ragged");

        var error = await Assert.ThrowsAsync<KeelApiException>(() => client.AddDatasetVersionAsync(name, file));

        Assert.Contains("CSV file 'ragged.csv' line 3 has 3 fields but the header has 2", error.Message, StringComparison.Ordinal);
        Assert.Empty(await client.ListDatasetsAsync(name));
    }

    [Fact]
    public async Task The_table_diff_answers_what_keel_data_diff_computes_and_names_a_missing_argument()
    {
        using var folder = new TempDirectory();
        var file = folder.Combine("orders.csv");
        using var client = new KeelClient(fixture.BaseUri);
        var name = SharedKeelServer.UniqueName("table-diff");
        await File.WriteAllTextAsync(file, "id,amount,country\n1,10,de\n2,20,fr\n3,30,de\n");
        await client.AddDatasetVersionAsync(name, file);
        await File.WriteAllTextAsync(file, "id,amount,country,note\n1,10,de,a\n2,20,fr,b\n3,300,it,c\n4,400,it,d\n");
        await client.AddDatasetVersionAsync(name, file);
        var expected = (await client.DiffDatasetVersionsAsync(name, "1", name, "2")).Tables.Single();

        using var http = new HttpClient { BaseAddress = fixture.BaseUri };
        using var response = await http.GetAsync($"/api/2.0/keel/datasets/versions/table-diff?name={name}&from=1&to=2");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var table = document.RootElement.GetProperty("tables").EnumerateArray().Single();
        Assert.Equal("orders.csv", table.GetProperty("path").GetString());
        Assert.Equal(3, table.GetProperty("rows_before").GetInt64());
        Assert.Equal(4, table.GetProperty("rows_after").GetInt64());
        Assert.Equal(["note"], table.GetProperty("columns_added").EnumerateArray().Select(c => c.GetString()));
        var amount = table.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "amount");
        Assert.Equal(expected.Columns.Single(c => c.Name == "amount").Psi!.Value, amount.GetProperty("psi").GetDouble(), 12);
        var country = table.GetProperty("columns").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "country");
        Assert.Equal(["it"], country.GetProperty("new_categories").EnumerateArray().Select(c => c.GetString()));

        using var missing = await http.GetAsync($"/api/2.0/keel/datasets/versions/table-diff?name={name}&from=1");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("'to'", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
