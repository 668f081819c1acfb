vcl 4.1;
# The Fastly stand-in: Varnish 7.1 made to answer like a Fastly edge with
# Fastly's default VCL (testbed/README.md lists what is modelled).

import std;

backend origin {
    .host = "127.0.0.4";
    .port = "18080";
    .connect_timeout = 2s;
    .first_byte_timeout = 15s;
    .between_bytes_timeout = 10s;
}

sub vcl_recv {
    # For X-Timer's VE (elapsed ms); removed before the origin sees it.
    set req.http.X-Testbed-Start = std.time2real(now, 0.0);
    call vcl_req_host;
    # Like Fastly's default vcl_recv: only GET and HEAD are looked up.
    call vcl_req_method;
    # Fastly serves byte ranges. Varnish's own range support is off here (it
    # would add Accept-Ranges to every answer, unlike the other stand-in), so
    # a range of a /probe/ page is passed to the origin, which serves it.
    if (req.url ~ "^/probe/" && req.http.Range) {
        return (pass);
    }
    # Fastly's default VCL does not pass on a request Cookie or Authorization
    # header (Varnish's builtin does): look everything else up.
    return (hash);
}

sub vcl_backend_fetch {
    set bereq.http.X-Edge = "fastly";
    unset bereq.http.X-Testbed-Start;
}

sub vcl_backend_response {
    # Fastly caches these statuses by default; any other answer is not stored.
    if (beresp.status != 200 && beresp.status != 203 && beresp.status != 300 &&
        beresp.status != 301 && beresp.status != 302 && beresp.status != 404 &&
        beresp.status != 410) {
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # Fall through to the builtin: TTL from s-maxage / max-age / Expires
    # (default_ttl=3600 when none), and no caching of Set-Cookie,
    # Cache-Control private / no-cache / no-store or Vary: * answers.
}

sub fastly_headers {
    set resp.http.X-Served-By = "cache-tst12345-TST";
    set resp.http.X-Timer = "S" + std.time2real(now, 0.0) + ",VS0,VE" +
        std.integer(real = (std.time2real(now, 0.0) -
            std.real(req.http.X-Testbed-Start, std.time2real(now, 0.0))) * 1000);
    set resp.http.Via = "1.1 varnish";
    unset resp.http.X-Varnish;
}

sub vcl_deliver {
    # Fastly: HIT or MISS only; a pass reads MISS.
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    set resp.http.X-Cache-Hits = obj.hits;
    call fastly_headers;
}

sub vcl_synth {
    set resp.http.X-Cache = "MISS";
    set resp.http.X-Cache-Hits = "0";
    call fastly_headers;
}
