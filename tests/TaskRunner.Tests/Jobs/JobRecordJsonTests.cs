using System.Text;
using System.Text.Json;

namespace TaskRunner.Tests.Jobs;

/// <summary>A <see cref="JobRecord"/> serializes to readable JSON with plain <see cref="JsonSerializer"/> calls.</summary>
public sealed class JobRecordJsonTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 30, 0, TimeSpan.Zero);

    private static JobRecord Sample() => new()
    {
        Id = new JobId(42),
        Name = "send-email",
        Queue = "mail",
        Payload = Encoding.UTF8.GetBytes("""{"to":"a@b.c","cc":["x"]}"""),
        State = JobState.Succeeded,
        Priority = 2,
        RunAt = T0,
        CreatedAt = T0.AddSeconds(-5),
        Attempts = 1,
        MaxAttempts = 10,
        Timeout = TimeSpan.FromMinutes(5),
        UniqueKey = "welcome:a@b.c",
        Tags = ["vip"],
        BatchId = new BatchId(Guid.Parse("0192f0c4-7a3b-7c1d-8e9f-0123456789ab")),
        FirstStartedAt = T0.AddMilliseconds(1.5),
        LastStartedAt = T0.AddMilliseconds(1.5),
        Owner = "host-1:77",
        LeaseToken = 3,
        ProgressPercent = 100,
        ProgressMessage = "done",
        Result = Encoding.UTF8.GetBytes("""{"sent":true}"""),
        FinishedAt = T0.AddSeconds(2),
    };

    [Fact]
    public void Serializes_ids_as_numbers_times_as_iso_8601_states_by_name_and_payloads_as_embedded_json()
    {
        var json = JsonSerializer.Serialize(Sample());

        // One line in the output; split here at property boundaries to be read.
        const string Expected = """
            {"Id":42,"Name":"send-email","Queue":"mail","Payload":{"to":"a@b.c","cc":["x"]},"State":"Succeeded","Priority":2,
            "RunAt":"2026-03-01T09:30:00+00:00","CreatedAt":"2026-03-01T09:29:55+00:00","Attempts":1,"MaxAttempts":10,
            "Timeout":"00:05:00","UniqueKey":"welcome:a@b.c","IdempotencyKey":null,"ConcurrencyKey":null,"ConcurrencyLimit":1,
            "Tags":["vip"],"BatchId":"0192f0c47a3b7c1d8e9f0123456789ab","FirstStartedAt":"2026-03-01T09:30:00.0015+00:00",
            "LastStartedAt":"2026-03-01T09:30:00.0015+00:00","OccurrenceAt":null,"ContinuationOf":null,"Owner":"host-1:77",
            "LeaseToken":3,"LeaseExpiresAt":null,"CancellationRequested":false,"ProgressPercent":100,"ProgressMessage":"done",
            "Result":{"sent":true},"LastError":null,"FinishedAt":"2026-03-01T09:30:02+00:00","TraceParent":null}
            """;
        Assert.Equal(Expected.ReplaceLineEndings(""), json);
    }

    [Fact]
    public void Web_options_give_camel_case_and_a_record_reads_back_equal()
    {
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        var json = JsonSerializer.Serialize(Sample(), web);
        Assert.StartsWith("""{"id":42,"name":"send-email","queue":"mail","payload":{"to":"a@b.c","cc":["x"]},"state":"Succeeded",""", json, StringComparison.Ordinal);

        var back = JsonSerializer.Deserialize<JobRecord>(json, web)!;
        Assert.Equal(JsonSerializer.Serialize(Sample()), JsonSerializer.Serialize(back));
        Assert.Equal(new JobId(42), back.Id);
        Assert.Equal("""{"sent":true}""", Encoding.UTF8.GetString(back.Result!.Value.Span));
    }

    [Fact]
    public void No_payload_and_no_result_are_null_and_bytes_that_are_not_json_fall_back_to_base64()
    {
        var record = new JobRecord { Id = new JobId(1), Name = "n", Queue = "q", State = JobState.Pending, Payload = new byte[] { 0xff, 0x00 } };
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(record));
        Assert.Equal("/wA=", document.RootElement.GetProperty("Payload").GetString());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("Result").ValueKind);

        var empty = new JobRecord { Id = new JobId(1), Name = "n", Queue = "q", State = JobState.Pending };
        using var emptyDocument = JsonDocument.Parse(JsonSerializer.Serialize(empty));
        Assert.Equal(JsonValueKind.Null, emptyDocument.RootElement.GetProperty("Payload").ValueKind);
    }

    [Theory]
    [InlineData("42", 42L)]
    [InlineData("\"42\"", 42L)] // a client that keeps ids as strings
    public void A_job_id_reads_from_a_number_or_a_string(string json, long value) =>
        Assert.Equal(new JobId(value), JsonSerializer.Deserialize<JobId>(json));

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("\"x\"")]
    [InlineData("true")]
    public void A_bad_job_id_in_json_is_a_json_error(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<JobId>(json));

    [Fact]
    public void Counts_and_batch_status_serialize_readably()
    {
        var status = new BatchStatus { Id = new BatchId(Guid.Parse("0192f0c4-7a3b-7c1d-8e9f-0123456789ab")), Counts = new JobCounts { Pending = 2, Succeeded = 1 }, ContinuationId = new JobId(9) };
        Assert.Equal(
            """{"Id":"0192f0c47a3b7c1d8e9f0123456789ab","Counts":{"Scheduled":0,"Pending":2,"Running":0,"Succeeded":1,"Failed":0,"DeadLettered":0,"Cancelled":0,"Total":3,"Unfinished":2},"IsFinished":false,"ContinuationId":9}""",
            JsonSerializer.Serialize(status));
        Assert.Equal("{\"a\":\"DeadLettered\"}", JsonSerializer.Serialize(new { a = JobState.DeadLettered }));
    }
}
