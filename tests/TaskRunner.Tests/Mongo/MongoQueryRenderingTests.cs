using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Bson.Serialization.Serializers;
using MongoDB.Driver;
using TaskRunner.Mongo;
using Q = TaskRunner.Mongo.MongoJobQueries;

namespace TaskRunner.Tests.Mongo;

/// <summary>
/// Each operation's filter, update, sort and index as the driver renders it for the server, compared with the document it
/// must be (canonical extended JSON, so a tick stored as a 32-bit number instead of a 64-bit one fails too). No server is
/// needed; what the server then does with these documents is what the MongoDB contract suites check when one is
/// configured.
/// </summary>
public sealed class MongoQueryRenderingTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly long Ticks = T0.UtcTicks;
    private static readonly ObjectId Tag = new("65a000000000000000000001");
    private static readonly RenderArgs<BsonDocument> Args = new(BsonDocumentSerializer.Instance, BsonSerializer.SerializerRegistry);
    private static readonly JsonWriterSettings Canonical = new() { OutputMode = JsonOutputMode.CanonicalExtendedJson };

    [Fact]
    public void The_claim_reads_pending_jobs_holding_their_slot_through_the_claim_index_in_claim_order()
    {
        Assert.Equal(Json("""{ "queue": "q", "state": 1, "wait": false, "name": { "$in": ["a", "b"] } }"""), Render(Q.Claimable("q", ["a", "b"])));
        Assert.Equal(Json("""{ "queue": "q", "state": 1, "wait": false }"""), Render(Q.Claimable("q", null)));
        Assert.Equal(Json("""{ "queue": "q", "state": 1, "wait": false, "name": { "$in": [] } }"""), Render(Q.Claimable("q", []))); // claims nothing
        Assert.Equal(Json("""{ "priority": -1, "runAt": 1, "_id": 1 }"""), Q.ClaimOrder.Render(Args).ToJson(Canonical));

        // The index the claim needs: equality on the queue, then the sort; its partial filter is part of the claim's filter,
        // so the planner may use it, and waiting keyed jobs are outside it.
        var index = Index(MongoSchema.JobIndexes, "claim");
        Assert.Equal(Json("""{ "queue": 1, "priority": -1, "runAt": 1, "_id": 1 }"""), index.Keys.Render(Args).ToJson(Canonical));
        var partial = index.Options.PartialFilterExpression.Render(Args);
        Assert.Equal(Json("""{ "state": 1, "wait": false }"""), partial.ToJson(Canonical));
        var claim = Q.Claimable("q", ["a"]).Render(Args);
        Assert.All(partial, e => Assert.Equal(e.Value, claim[e.Name]));
    }

    [Fact]
    public void A_list_names_only_the_filters_that_are_set_with_ranges_from_their_start_to_before_their_end()
    {
        Assert.Equal(Json("""{ "_id": { "$gt": { "$numberLong": "-9223372036854775808" } } }"""), Render(Q.List(new JobQuery())));
        Assert.Equal(Json("""{ }"""), Render(Q.Matching(new JobQuery { AfterId = new JobId(5) }))); // counting ignores paging
        var query = new JobQuery
        {
            AfterId = new JobId(5), State = JobState.Succeeded, Queue = "q", JobName = "n", Tag = "t",
            CreatedFrom = T0, CreatedBefore = T0.AddHours(1), FinishedFrom = T0, FinishedBefore = T0.AddHours(2),
        };
        Assert.Equal(
            Json($$"""
            {
              "_id": { "$gt": { "$numberLong": "5" } }, "state": 3, "queue": "q", "name": "n", "tags": "t",
              "createdAt": { "$gte": { "$numberLong": "{{Ticks}}" }, "$lt": { "$numberLong": "{{Ticks + TimeSpan.TicksPerHour}}" } },
              "finishedAt": { "$gte": { "$numberLong": "{{Ticks}}" }, "$lt": { "$numberLong": "{{Ticks + (2 * TimeSpan.TicksPerHour)}}" } }
            }
            """),
            Render(Q.List(query)));
    }

    [Fact]
    public void The_claim_takes_a_candidate_only_if_still_claimable_and_stamps_lease_token_attempt_and_start()
    {
        Assert.Equal(Json("""{ "_id": { "$in": [{ "$numberLong": "1" }, { "$numberLong": "2" }] }, "state": 1, "wait": false }"""), Render(Q.ClaimTake([1L, 2L])));
        Assert.Equal(
            Json($$"""
            {
              "$set": { "state": 2, "owner": "w", "leaseExpiresAt": { "$numberLong": "{{Ticks + TimeSpan.TicksPerMinute}}" }, "lastStartedAt": { "$numberLong": "{{Ticks}}" },
                        "cancelRequested": false, "claimTag": { "$oid": "65a000000000000000000001" } },
              "$min": { "firstStartedAt": { "$numberLong": "{{Ticks}}" } },
              "$inc": { "leaseToken": { "$numberLong": "1" }, "attempts": 1 }
            }
            """),
            Render(Q.Claim("w", T0.AddMinutes(1), T0, Tag)));
        Assert.Equal(Json("""{ "claimTag": { "$oid": "65a000000000000000000001" }, "state": 2 }"""), Render(Q.ClaimedBy(Tag)));
    }

    [Fact]
    public void Due_jobs_are_promoted_keyless_straight_to_pending_and_keyed_ones_to_wait_for_a_slot()
    {
        Assert.Equal(Json($$"""{ "state": { "$in": [0, 4] }, "runAt": { "$lte": { "$numberLong": "{{Ticks}}" } }, "concurrencyKey": { "$exists": false } }"""), Render(Q.DueUnkeyed(T0)));
        Assert.Equal(Json($$"""{ "state": { "$in": [0, 4] }, "runAt": { "$lte": { "$numberLong": "{{Ticks}}" } }, "concurrencyKey": { "$exists": true } }"""), Render(Q.DueKeyed(T0)));
        Assert.Equal(Json("""{ "$set": { "state": 1, "wait": true } }"""), Render(Q.Promote(keyed: true)));
        Assert.Equal(Json($$"""{ "state": { "$in": [0, 4] }, "runAt": { "$gt": { "$numberLong": "{{Ticks}}" } } }"""), Render(Q.DueLater(T0)));
        Assert.Equal(Json("""{ "state": 1, "runAt": 1 }"""), Index(MongoSchema.JobIndexes, "state_run_at").Keys.Render(Args).ToJson(Canonical));
    }

    [Fact]
    public void A_lease_is_held_while_running_under_its_token_until_its_expiry_and_recovery_takes_it_only_after()
    {
        // now <= expiry holds (heartbeat, progress, complete); expiry < now is recovered: no instant is both.
        Assert.Equal(
            Json($$"""{ "_id": { "$numberLong": "7" }, "state": 2, "leaseToken": { "$numberLong": "3" }, "leaseExpiresAt": { "$gte": { "$numberLong": "{{Ticks}}" } } }"""),
            Render(Q.Held(7, 3, T0)));
        Assert.Equal(Json($$"""{ "state": 2, "leaseExpiresAt": { "$lt": { "$numberLong": "{{Ticks}}" } } }"""), Render(Q.Expired(T0)));
        Assert.Equal(
            Json($$"""{ "_id": { "$numberLong": "7" }, "leaseToken": { "$numberLong": "3" }, "state": 2, "leaseExpiresAt": { "$lt": { "$numberLong": "{{Ticks}}" } } }"""),
            Render(Q.ExpiredOne(7, 3, T0)));
        Assert.Equal(
            Json($$"""{ "$or": [{ "_id": { "$numberLong": "1" }, "leaseToken": { "$numberLong": "5" } }, { "_id": { "$numberLong": "2" }, "leaseToken": { "$numberLong": "6" } }], "state": 2, "leaseExpiresAt": { "$gte": { "$numberLong": "{{Ticks}}" } } }"""),
            Render(Q.HeldAny([new JobLease(new JobId(1), 5), new JobLease(new JobId(2), 6)], T0)));
        Assert.Equal(Json("""{ "leaseExpiresAt": 1 }"""), Index(MongoSchema.JobIndexes, "lease").Keys.Render(Args).ToJson(Canonical));
        Assert.Equal(Json("""{ "state": 2 }"""), Index(MongoSchema.JobIndexes, "lease").Options.PartialFilterExpression.Render(Args).ToJson(Canonical));

        Assert.Equal(
            Json($$"""{ "$unset": { "leaseExpiresAt": 1, "activeKey": 1 }, "$set": { "error": { "type": "LeaseExpired", "message": "The lease of worker 'w' expired before attempt 3 of 3 finished; no attempts are left." }, "state": 5, "finishedAt": { "$numberLong": "{{Ticks}}" } } }"""),
            Render(Q.Recover(deadLetter: true, "w", 3, 3, T0)));
        Assert.Equal(
            Json("""{ "$unset": { "leaseExpiresAt": 1 }, "$set": { "error": { "type": "LeaseExpired", "message": "The lease of worker 'w' expired before attempt 1 of 3 finished; the job will run again." }, "state": 1 } }"""),
            Render(Q.Recover(deadLetter: false, "w", 1, 3, T0)));
    }

    [Fact]
    public void Each_report_sets_its_state_ends_the_lease_and_a_finished_job_gives_up_its_unique_key()
    {
        var error = new JobError("E", "m", "stack");
        const string Tagged = """ "reportTag": { "$oid": "65a000000000000000000001" } """;
        var finished = $$"""{ "$numberLong": "{{Ticks}}" }""";
        Assert.Equal(
            Json($$"""{ "$set": { {{Tagged}}, "state": 3, "finishedAt": {{finished}}, "result": { "$binary": { "base64": "AQI=", "subType": "00" } } }, "$unset": { "leaseExpiresAt": 1, "activeKey": 1 } }"""),
            Render(Q.Complete(JobCompletion.Succeeded(new JobId(1), 1, new byte[] { 1, 2 }), T0, Tag)));
        Assert.Equal(
            Json($$"""{ "$set": { {{Tagged}}, "state": 4, "runAt": { "$numberLong": "{{Ticks + TimeSpan.TicksPerSecond}}" }, "error": { "type": "E", "message": "m", "stack": "stack" } }, "$unset": { "leaseExpiresAt": 1 } }"""),
            Render(Q.Complete(JobCompletion.Failed(new JobId(1), 1, error, T0.AddSeconds(1)), T0, Tag)));
        Assert.Equal(
            Json($$"""{ "$set": { {{Tagged}}, "state": 5, "finishedAt": {{finished}}, "error": { "type": "E", "message": "m", "stack": "stack" } }, "$unset": { "leaseExpiresAt": 1, "activeKey": 1 } }"""),
            Render(Q.Complete(JobCompletion.DeadLettered(new JobId(1), 1, error), T0, Tag)));
        Assert.Equal(
            Json($$"""{ "$set": { {{Tagged}}, "state": 6, "finishedAt": {{finished}}, "error": null }, "$unset": { "leaseExpiresAt": 1, "activeKey": 1 } }"""),
            Render(Q.Complete(JobCompletion.Cancelled(new JobId(1), 1), T0, Tag)));

        // Released: pending again with the attempt given back and its concurrency slot kept (wait is untouched).
        Assert.Equal(
            Json($$"""{ "$set": { {{Tagged}}, "state": 1, "cancelRequested": false }, "$unset": { "leaseExpiresAt": 1 }, "$inc": { "attempts": -1 } }"""),
            Render(Q.Complete(JobCompletion.Released(new JobId(1), 1), T0, Tag)));
    }

    [Fact]
    public void Unique_and_idempotency_keys_are_unique_partial_indexes_the_enqueue_looks_up()
    {
        var unique = Index(MongoSchema.JobIndexes, "unique_key");
        Assert.True(unique.Options.Unique);
        Assert.Equal(Json("""{ "activeKey": 1 }"""), unique.Keys.Render(Args).ToJson(Canonical));
        Assert.Equal(Json("""{ "activeKey": { "$exists": true } }"""), unique.Options.PartialFilterExpression.Render(Args).ToJson(Canonical));
        var idempotency = Index(MongoSchema.JobIndexes, "idempotency_key");
        Assert.True(idempotency.Options.Unique);
        Assert.Equal(Json("""{ "idempotencyKey": { "$exists": true } }"""), idempotency.Options.PartialFilterExpression.Render(Args).ToJson(Canonical));

        Assert.Equal(Json("""{ "$or": [{ "idempotencyKey": { "$in": ["i"] } }, { "activeKey": { "$in": ["u"] } }] }"""), Render(Q.ByKeys(["i"], ["u"])));

        // A requeued dead letter takes its unique key back (a duplicate-key error then leaves it dead-lettered).
        Assert.Equal(
            Json($$"""{ "$set": { "state": 1, "attempts": 0, "runAt": { "$numberLong": "{{Ticks}}" }, "cancelRequested": false, "wait": true, "activeKey": "u" }, "$unset": { "finishedAt": 1, "leaseExpiresAt": 1 } }"""),
            Render(Q.Requeue(T0, "u", keyed: true)));
    }

    [Fact]
    public void A_keys_holders_and_waiting_jobs_are_read_through_its_index_in_claim_order()
    {
        Assert.Equal(Json("""{ "concurrencyKey": "k", "state": { "$in": [1, 2] }, "wait": false }"""), Render(Q.KeyHolders("k")));
        Assert.Equal(Json("""{ "concurrencyKey": "k", "state": 1, "wait": true }"""), Render(Q.KeyWaiting("k")));
        Assert.Equal(Json("""{ "_id": { "$numberLong": "9" }, "state": 1, "wait": true }"""), Render(Q.StillWaiting(9)));
        Assert.Equal(Json("""{ "$set": { "wait": false } }"""), Render(Q.TakeSlot()));
        Assert.Equal(
            Json("""{ "concurrencyKey": 1, "state": 1, "wait": 1, "priority": -1, "runAt": 1, "_id": 1 }"""),
            Index(MongoSchema.JobIndexes, "concurrency_key").Keys.Render(Args).ToJson(Canonical));
    }

    [Fact]
    public void A_delete_matches_the_job_only_in_a_finished_state()
    {
        // Succeeded 3, DeadLettered 5, Cancelled 6: the state test is in the delete's own filter, so a live job is never deleted.
        Assert.Equal(Json("""{ "_id": { "$numberLong": "9" }, "state": { "$in": [3, 5, 6] } }"""), Render(Q.FinishedById(9)));
    }

    [Fact]
    public void A_batch_continuation_is_recorded_once_by_compare_and_swap()
    {
        var batch = Guid.Parse("0193f0a5-7d4e-7c3b-9a1e-2f6d8c4b5a11");
        const string Id = """{ "$binary": { "base64": "AZPwpX1OfDuaHi9tjEtaEQ==", "subType": "04" } }""";
        Assert.Equal(Json($$"""{ "_id": {{Id}}, "continuation": { "$exists": true }, "continuationId": null }"""), Render(Q.ContinuationPending(batch)));
        Assert.Equal(Json("""{ "$set": { "continuationId": { "$numberLong": "42" } } }"""), Render(Q.SetContinuation(42)));
        Assert.Equal(Json($$"""{ "batchId": {{Id}}, "state": { "$in": [0, 1, 2, 4] } }"""), Render(Q.Unfinished(batch)));
    }

    [Fact]
    public void Locks_take_over_by_comparing_the_expiry_in_the_filter_and_check_the_token_to_renew_or_release()
    {
        Assert.Equal(Json($$"""{ "_id": "l", "expiresAt": { "$lte": { "$numberLong": "{{Ticks}}" } } }"""), Render(MongoLockStore.AcquireFilter("l", T0)));

        // An update pipeline: the token of an existing document grows by one; a new one starts from now in ticks.
        var expires = T0.AddSeconds(10);
        Assert.Equal(
            $$"""[{ "$set" : { "owner" : { "$literal" : "$w" }, "expiresAt" : { "$numberLong" : "{{expires.UtcTicks}}" }, "cleanupAt" : { "$date" : { "$numberLong" : "{{expires.ToUnixTimeMilliseconds()}}" } }, "token" : { "$add" : [{ "$ifNull" : ["$token", { "$numberLong" : "{{Ticks}}" }] }, { "$numberLong" : "1" }] } } }]""",
            MongoLockStore.AcquireUpdate("$w", T0, expires).Render(Args).ToJson(Canonical));
        Assert.Equal(
            Json($$"""{ "_id": "l", "token": { "$numberLong": "5" }, "owner": { "$ne": null }, "expiresAt": { "$gt": { "$numberLong": "{{Ticks}}" } } }"""),
            Render(MongoLockStore.RenewFilter("l", 5, T0)));
        Assert.Equal(Json("""{ "_id": "l", "token": { "$numberLong": "5" }, "owner": { "$ne": null } }"""), Render(MongoLockStore.HeldFilter("l", 5)));
        Assert.Equal(Json("""{ "$set": { "owner": null, "expiresAt": { "$numberLong": "0" } } }"""), Render(MongoLockStore.ReleaseUpdate()));

        // The TTL index only cleans up, an hour after a lease ended.
        var ttl = Assert.Single(MongoSchema.LockIndexes);
        Assert.Equal(TimeSpan.FromHours(1), ttl.Options.ExpireAfter);
        Assert.Equal(Json("""{ "cleanupAt": 1 }"""), ttl.Keys.Render(Args).ToJson(Canonical));
    }

    [Fact]
    public void A_schedule_advances_by_compare_and_swap_on_its_last_occurrence()
    {
        Assert.Equal(Json("""{ "_id": "s", "lastOccurrence": null }"""), Render(MongoScheduleStore.AdvanceFilter("s", null)));
        Assert.Equal(Json($$"""{ "_id": "s", "lastOccurrence": { "$numberLong": "{{Ticks}}" } }"""), Render(MongoScheduleStore.AdvanceFilter("s", T0)));

        var upsert = MongoScheduleStore.UpsertUpdate(new ScheduleRecord { Name = "s", Cron = "* * * * *", TimeZoneId = "UTC", JobName = "j" }, T0).Render(Args).AsBsonDocument;
        Assert.Equal(Json($$"""{ "createdAt": { "$numberLong": "{{Ticks}}" } }"""), upsert["$setOnInsert"].ToJson(Canonical));
        Assert.Equal(Json("""{ "version": { "$numberLong": "1" } }"""), upsert["$inc"].ToJson(Canonical));
        Assert.False(upsert["$set"].AsBsonDocument.Contains("lastOccurrence")); // kept when the new definition has none
    }

    [Fact]
    public void Wake_ups_come_from_inserted_pending_jobs_and_jobs_becoming_claimable()
    {
        Assert.Equal(
            Json("""
            { "$or": [
                { "operationType": "insert", "fullDocument.state": 1 },
                { "operationType": "update", "updateDescription.updatedFields.state": 1 },
                { "operationType": "update", "updateDescription.updatedFields.wait": false } ] }
            """),
            MongoJobStore.WakeupFilter.ToJson(Canonical));
    }

    [Fact]
    public void Every_index_has_a_name_and_partial_filters_use_only_equality_and_exists_which_every_server_accepts()
    {
        foreach (var index in MongoSchema.JobIndexes.Concat(MongoSchema.LockIndexes))
        {
            Assert.False(string.IsNullOrEmpty(index.Options.Name));
            if (index.Options.PartialFilterExpression is { } partial)
            {
                foreach (var element in partial.Render(Args))
                {
                    Assert.True(
                        element.Value is not BsonDocument operators || operators.Names.SequenceEqual(["$exists"]),
                        $"index {index.Options.Name}: {element.Name} uses {element.Value}");
                }
            }
        }

        Assert.Equal(MongoSchema.JobIndexes.Count, MongoSchema.JobIndexes.Select(i => i.Options.Name).Distinct().Count());
    }

    [Fact]
    public void A_new_job_document_leaves_unset_keys_out_so_the_unique_partial_indexes_skip_it()
    {
        var plain = MongoJobDocuments.ToDocument(new NewJob { Name = "j", RunAt = T0 }, 1, T0, null);
        Assert.False(plain.Contains("activeKey"));
        Assert.False(plain.Contains("idempotencyKey"));
        Assert.False(plain.Contains("concurrencyKey"));
        Assert.Equal(1, plain["state"].AsInt32);
        Assert.False(plain["wait"].AsBoolean);
        Assert.Equal(BsonType.Int64, plain["runAt"].BsonType);

        var keyed = MongoJobDocuments.ToDocument(new NewJob { Name = "j", RunAt = T0, UniqueKey = "u", ConcurrencyKey = "k" }, 2, T0, null);
        Assert.Equal("u", keyed["activeKey"].AsString);
        Assert.True(keyed["wait"].AsBoolean); // a keyed job becoming pending waits until the key's slots are balanced

        var later = MongoJobDocuments.ToDocument(new NewJob { Name = "j", RunAt = T0.AddSeconds(1), ConcurrencyKey = "k" }, 3, T0, null);
        Assert.Equal(0, later["state"].AsInt32);
        Assert.False(later["wait"].AsBoolean);

        var record = MongoJobDocuments.ToRecord(keyed);
        Assert.Equal(new JobId(2), record.Id);
        Assert.Equal("u", record.UniqueKey);
        Assert.Equal(JobState.Pending, record.State);
        Assert.Equal(T0, record.CreatedAt);
    }

    private static string Render(FilterDefinition<BsonDocument> filter) => filter.Render(Args).ToJson(Canonical);

    private static string Render(UpdateDefinition<BsonDocument> update) => update.Render(Args).ToJson(Canonical);

    private static string Json(string json) => BsonDocument.Parse(json).ToJson(Canonical);

    private static CreateIndexModel<BsonDocument> Index(IEnumerable<CreateIndexModel<BsonDocument>> indexes, string name) =>
        indexes.Single(i => i.Options.Name == name);
}
