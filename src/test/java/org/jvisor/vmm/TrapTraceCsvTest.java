package org.jvisor.vmm;

import org.jvisor.lab.TrapExperiment;
import org.jvisor.lab.TrapExperimentTest;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;

/**
 * The experiment's traps.csv read back by a real CSV parser (Apache Commons CSV, RFC 4180): every row has
 * the header's fields and each event's text comes back as written, whatever commas, quotes or line breaks
 * it holds. {@link TrapExperimentTest} does the same with a real run's trace.
 */
public class TrapTraceCsvTest {
    /** Parses {@code csv} as RFC 4180 and checks it against {@code samples}, row by row. */
    public static void assertReadsBackAs(List<TrapExperiment.Sample> samples, String csv) throws IOException {
        List<CSVRecord> rows = CSVFormat.RFC4180.parse(new StringReader(csv)).getRecords();
        assertEquals(samples.size() + 1, rows.size(), csv);
        List<String> header = rows.get(0).toList();
        assertEquals(List.of(TrapExperiment.Report.CSV_HEADER.split(",")), header);
        for (int i = 0; i < samples.size(); i++) {
            CSVRecord row = rows.get(i + 1);
            TrapExperiment.Sample s = samples.get(i);
            assertEquals(header.size(), row.size(), "row " + (i + 1) + ": " + row);
            assertEquals(s.seconds(), Double.parseDouble(row.get(0)), 0.0005, row.toString());
            assertEquals(List.of(Integer.toString(s.vcpu()), Long.toString(s.counters().cpu()), Long.toString(s.counters().mem()),
                    Long.toString(s.counters().io()), s.event()), row.toList().subList(1, 6));
        }
    }

    @Test
    void eventsWithCommasQuotesAndLineBreaksKeepTheirRow() throws IOException {
        List<TrapExperiment.Sample> samples = new ArrayList<>();
        String[] events = {"", "start /bin/true", "start mem,64", "end mem,64", "start bomb,10", "stopped bomb,10",
                "a \"quoted\" word", "two\nlines", "cr\r\nlf", ",", "\""};
        for (int i = 0; i < events.length; i++)
            samples.add(new TrapExperiment.Sample(i * 0.1, i % 2, new TrapExperiment.Counters(i, 10L * i, 100L * i), events[i]));
        TrapExperiment.Report r = new TrapExperiment.Report(List.of(), samples, "", 0, false, 64L << 20);
        assertReadsBackAs(samples, r.csv());
    }
}
