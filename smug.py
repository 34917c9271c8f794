import socket,time,sys
def go(req,port=18131):
    s=socket.create_connection(("127.0.0.1",port)); s.settimeout(3); s.sendall(req); buf=b""
    try:
        while True:
            d=s.recv(65536)
            if not d: break
            buf+=d
    except Exception as e: buf+=b" <%s>"%type(e).__name__.encode()
    return buf
inner=b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
pad=b"a"*1100
# 1: over-cap CL, inner request at start of body
b1=inner+pad
r=go(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"%len(b1)+b1)
print("1:", [l for l in r.split(b"\r\n") if l.startswith(b"HTTP/")], r.count(b"smuggled"))
# 2: over-cap chunked
b2=b"%x\r\n"%len(pad)+pad+b"\r\n0\r\n\r\n"+inner
r=go(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"+b2)
print("2:", [l for l in r.split(b"\r\n") if l.startswith(b"HTTP/")], r.count(b"smuggled"))
# 3: too many headers + body with inner
hs=b"".join(b"X-%d: v\r\n"%i for i in range(25))
r=go(b"POST /echo HTTP/1.1\r\nHost: x\r\n"+hs+b"Content-Length: %d\r\n\r\n"%len(inner)+inner)
print("3:", [l for l in r.split(b"\r\n") if l.startswith(b"HTTP/")], r.count(b"smuggled"))
# 4: unknown content-encoding 415 with body containing inner
r=go(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: x-foo\r\nContent-Length: %d\r\n\r\n"%len(inner)+inner)
print("4:", [l for l in r.split(b"\r\n") if l.startswith(b"HTTP/")], r.count(b"smuggled"))
# 5: Host missing then body
r=go(b"POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n"%len(inner)+inner)
print("5:", [l for l in r.split(b"\r\n") if l.startswith(b"HTTP/")], r.count(b"smuggled"))
# 6: CONNECT with body
r=go(b"POST /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: %d\r\n\r\n"%len(inner)+inner)
print("6:", [l for l in r.split(b"\r\n") if l.startswith(b"HTTP/")], r.count(b"smuggled"))
# 7: request body blocked (classified) then inner
body=('{"a":"机密★一年"}').encode()
r=go(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"%len(body)+body+inner)
print("7:", [l for l in r.split(b"\r\n") if l.startswith(b"HTTP/")], r.count(b"smuggled"))
# 8: gzip request bomb then inner
import gzip
z=gzip.compress(b"a"*3000000)
r=go(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n"%len(z)+z+inner)
print("8:", [l for l in r.split(b"\r\n") if l.startswith(b"HTTP/")], r.count(b"smuggled"))
