package dev.sandbox.cgroups.internal;

import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.BitSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Label("CPU lists as cpuset.cpus prints them")
class CpuListTest {

    @Property
    @Label("format then parse gives the same set, and the format is canonical")
    void roundTrip(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = 300) Integer> cpus) {
        BitSet set = new BitSet();
        cpus.forEach(set::set);
        String text = CpuList.format(set);
        assertThat(CpuList.parse(text)).isEqualTo(set);
        assertThat(CpuList.format(CpuList.parse(text))).isEqualTo(text);
    }
}
