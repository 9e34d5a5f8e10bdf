//! The Heap and Segment packages recognised, per ecosystem, as their registries name them.

use crate::model::Vendor;

/// A package of a vendor: its name as the ecosystem spells it, the vendor, the generation, and
/// whether it is a mobile SDK (true) or a server library (false).
#[allow(dead_code)] // `mobile` documents the table; rules tell mobile apps by platform.
pub struct Known {
    pub name: &'static str,
    pub vendor: Vendor,
    pub generation: &'static str,
    mobile: bool,
}

const fn k(name: &'static str, vendor: Vendor, generation: &'static str, mobile: bool) -> Known {
    Known {
        name,
        vendor,
        generation,
        mobile,
    }
}

/// Every Heap and Segment package recognised, per ecosystem. Names compare case-insensitively.
const PACKAGES: &[(&str, &[Known])] = &[
    (
        "cocoapods",
        &[
            k("Heap", Vendor::Heap, "classic", true),
            k("HeapSwiftCore", Vendor::Heap, "core", true),
            k("HeapIOSAutocapture", Vendor::Heap, "core", true),
            k("Analytics", Vendor::Segment, "classic", true),
        ],
    ),
    (
        "spm",
        &[
            k("heap-swift-core-sdk", Vendor::Heap, "core", true),
            k("heap-ios-autocapture-sdk", Vendor::Heap, "core", true),
            k("heap-swift-core", Vendor::Heap, "core", true),
            k("heap-ios-sdk", Vendor::Heap, "classic", true),
            k("analytics-swift", Vendor::Segment, "current", true),
            k("analytics-ios", Vendor::Segment, "classic", true),
        ],
    ),
    (
        "gradle",
        &[
            k(
                "com.heapanalytics.android:heap-android-client",
                Vendor::Heap,
                "classic",
                true,
            ),
            k("io.heap.core:heap-android-core", Vendor::Heap, "core", true),
            k(
                "io.heap.autocapture:heap-autocapture-view",
                Vendor::Heap,
                "core",
                true,
            ),
            k(
                "io.heap.autocapture:heap-autocapture-compose",
                Vendor::Heap,
                "core",
                true,
            ),
            k(
                "com.segment.analytics.android:analytics",
                Vendor::Segment,
                "classic",
                true,
            ),
            k(
                "com.segment.analytics.kotlin:android",
                Vendor::Segment,
                "current",
                true,
            ),
            k(
                "com.segment.analytics.kotlin:core",
                Vendor::Segment,
                "current",
                false,
            ),
            k(
                "com.segment.analytics.java:analytics",
                Vendor::Segment,
                "current",
                false,
            ),
        ],
    ),
    (
        "npm",
        &[
            k("@heap/react-native-heap", Vendor::Heap, "classic", true),
            k("@heap/heap-react-native-bridge", Vendor::Heap, "core", true),
            k(
                "@heap/heap-react-native-autocapture",
                Vendor::Heap,
                "core",
                true,
            ),
            k("@heap/heap-capacitor-bridge", Vendor::Heap, "core", true),
            k("heap-api", Vendor::Heap, "server", false),
            k(
                "@segment/analytics-react-native",
                Vendor::Segment,
                "current",
                true,
            ),
            k(
                "@segment/sovran-react-native",
                Vendor::Segment,
                "current",
                true,
            ),
            // No Segment SDK for Capacitor or Cordova: these community plugins wrap Segment's
            // iOS and Android SDKs.
            k(
                "@joinflux/capacitor-segment",
                Vendor::Segment,
                "community",
                true,
            ),
            k("cordova-plugin-segment", Vendor::Segment, "community", true),
            k("@segment/analytics-node", Vendor::Segment, "current", false),
            k("analytics-node", Vendor::Segment, "classic", false),
        ],
    ),
    (
        "pub",
        &[
            k("heap_flutter_bridge", Vendor::Heap, "core", true),
            k("heap_flutter_autocapture", Vendor::Heap, "core", true),
            k("segment_analytics", Vendor::Segment, "current", true),
        ],
    ),
    (
        "pypi",
        &[
            k(
                "segment-analytics-python",
                Vendor::Segment,
                "current",
                false,
            ),
            k("analytics-python", Vendor::Segment, "classic", false),
            k("heapapi", Vendor::Heap, "server", false),
        ],
    ),
    (
        "rubygems",
        &[k("analytics-ruby", Vendor::Segment, "current", false)],
    ),
    (
        "go",
        &[
            k(
                "github.com/segmentio/analytics-go/v3",
                Vendor::Segment,
                "current",
                false,
            ),
            k(
                "github.com/segmentio/analytics-go",
                Vendor::Segment,
                "classic",
                false,
            ),
            k(
                "gopkg.in/segmentio/analytics-go.v3",
                Vendor::Segment,
                "current",
                false,
            ),
        ],
    ),
    (
        "composer",
        &[k(
            "segmentio/analytics-php",
            Vendor::Segment,
            "current",
            false,
        )],
    ),
    (
        "maven",
        &[k(
            "com.segment.analytics.java:analytics",
            Vendor::Segment,
            "current",
            false,
        )],
    ),
    (
        "nuget",
        &[
            k("Analytics", Vendor::Segment, "classic", false),
            k(
                "Segment.Analytics.CSharp",
                Vendor::Segment,
                "current",
                false,
            ),
            k("HeapInc.Xamarin", Vendor::Heap, "core", true),
            k("HeapInc.Xamarin.iOS", Vendor::Heap, "core", true),
            k("HeapInc.Xamarin.Android", Vendor::Heap, "core", true),
        ],
    ),
];

pub fn known(ecosystem: &str, name: &str) -> Option<&'static Known> {
    // Carthage names the same GitHub repositories as Swift Package Manager.
    let ecosystem = if ecosystem == "carthage" {
        "spm"
    } else {
        ecosystem
    };
    PACKAGES
        .iter()
        .find(|(e, _)| *e == ecosystem)
        .and_then(|(_, list)| list.iter().find(|p| p.name.eq_ignore_ascii_case(name)))
}
